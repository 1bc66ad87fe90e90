"""The server's listener gets TCP_NODELAY, so kept-alive requests are not held by Nagle."""

from __future__ import annotations

import socket

import api


def test_nodelay_reaches_sockets_accepted_from_a_proto_0_listener():
    # Like ``streamlit run``'s listener: created without proto, so asyncio skips TCP_NODELAY.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.proto == 0
        assert api.nodelay_listeners() >= 1
        assert listener.fileno() >= 0  # still open: the helper only borrowed it
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1

"""Engine stand-ins that call a .NET post inside the work horse (for the job-layer tests)."""

from __future__ import annotations

from pathlib import Path

from ncopt.dotnet_post import DotNetPost, PostSpec


def call_post(conf, progress=None, should_stop=None):
    """Load the post named in params and hand it a program; blocks as long as the post does."""
    params = conf["params"]
    post = DotNetPost(PostSpec(Path(params["dll"]), params["class_name"]))
    progress(fraction=0.5, stage="post", message="calling the .NET post")
    text = post.emit('{"program": "P1"}')
    return {"P1.nc": text}, {"P1.nc": ""}, None

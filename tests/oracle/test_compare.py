"""The oracle's comparison on hand-written pairs (old, new): what must pass and what must fail.

The failing pairs are the four patterns of issue 13 and their relatives: each asserts the
rule that catches it, so a rule that stops working shows up by name.
"""

from __future__ import annotations

import pytest

from tests.oracle.compare import compare

HEAD = "%\nO1000\nG90 G54 G17 G21\nT1 M6\nS2000 M3\nG0 X0. Y0.\nG43 H1 Z50. M8\n"
FOOT = "M9\nG91 G28 Z0.\nG90\nM30\n%\n"


def prog(*body: str) -> str:
    return HEAD + "".join(body) + FOOT


SET_A = "G99 G81 X10. Y10. Z-5. R2. F100.\nX20.\nX30.\n"
ONE_SET = prog(SET_A, "G80\nG0 Z50.\n")


def rules(report) -> set[str]:
    return {p.split(":", 1)[0] for p in report.problems}


def test_identical_programs_pass():
    for text in (
        ONE_SET,
        prog("G91\nG99 G81 X50. Y0. Z-8. R-45. F100. L2\nX-90. Y10.\nG80\nG90\n"),
    ):
        assert compare(text, text).ok


def test_holes_of_a_set_in_another_order_pass():
    new = prog("G99 G81 X30. Y10. Z-5. R2. F100.\nX10.\nX20.\n", "G80\nG0 Z50.\n")
    report = compare(ONE_SET, new)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    "change",
    [
        ("X30.\n", ""),  # a hole dropped
        ("X30.\n", "X35.\n"),  # a hole moved
        ("Z-5.", "Z-6."),  # another depth
        ("F100.", "F120."),  # another feed
        ("G99 G81", "G98 G81"),  # another return level (50 instead of 2)
        ("X30.\n", "X30.\nX30.\n"),  # a hole drilled twice
    ],
)
def test_a_hole_dropped_moved_or_drilled_otherwise_fails_by_rule_2(change):
    report = compare(ONE_SET, ONE_SET.replace(*change))
    assert not report.ok
    assert "rule 2 (items)" in rules(report)


def two_sets(first: str, second: str, between: str = "G80\nG0 Z50.\n") -> str:
    return prog(first, between, second, "G80\nG0 Z50.\n")


G99_LEFT = "G99 G81 X10. Y10. Z-5. R2. F100.\nX20.\n"
G99_RIGHT = "G99 G81 X60. Y10. Z-5. R2. F100.\nX70.\n"
G98_RIGHT = "G98 G81 X60. Y10. Z-5. R2. F100.\nX70.\n"


def test_a_g98_set_entered_from_its_neighbours_r_plane_fails():
    """Issue 13, case 1: the G98 set first, entered at Z2., so its initial level (where it
    hops and where it returns to) is 2 instead of 50."""
    old = two_sets(G99_LEFT, G98_RIGHT)
    new = prog("G0 Z2.\n", G98_RIGHT, "G80\nG0 Z50.\n", G99_LEFT, "G80\nG0 Z50.\n")
    report = compare(old, new)
    assert not report.ok
    assert any("hole X60. Y10. (R2. Z-5. back to 2." in p for p in report.problems)
    assert "rule 2 (items)" in rules(report)
    # Entered from its own initial level, the same new order is fine.
    fine = prog(G98_RIGHT, "G80\nG0 Z50.\n", G99_LEFT, "G80\nG98 G0 Z50.\n")
    assert compare(old, fine).ok, compare(old, fine).problems


def test_travel_between_sets_at_an_r_plane_where_the_original_rose_to_50_fails():
    old = two_sets(G99_LEFT, G99_RIGHT)
    new = prog(G99_RIGHT, "X20.\nX10.\n", "G80\nG0 Z50.\n")  # X70. to X20. at R2.
    report = compare(old, new)
    assert rules(report) == {"rule 4 (safety)"}, report.problems
    (problem,) = report.problems
    assert "moves X70. Y10. to X20. Y10. at Z2." in problem
    assert "no lower than Z50." in problem


def test_g99_sets_in_a_new_order_travelling_at_max_leave_arrive_pass():
    old = two_sets(G99_LEFT, G99_RIGHT)
    new = two_sets(G99_RIGHT, G99_LEFT)
    report = compare(old, new)
    assert report.ok, report.problems


def test_a_lower_travel_level_than_both_neighbours_fails_even_between_items():
    old = two_sets(G99_LEFT, G99_RIGHT, between="G80\nG0 Z30.\n")
    new = two_sets(G99_LEFT, G99_RIGHT, between="G80\nG0 Z20.\n")
    assert rules(compare(old, new)) == {"rule 4 (safety)"}
    higher = two_sets(G99_LEFT, G99_RIGHT, between="G80\nG0 Z40.\n")
    assert compare(old, higher).ok


CHAMFER_LEFT = "G99 G81 X10. Y10. Z-1. R2. F100.\nX20.\n"
CHAMFER_RIGHT = "G99 G81 X60. Y10. Z-1. R5. F100.\nX70.\n"


def test_a_cycle_cancelled_by_g00_whose_travel_now_runs_at_a_lower_r_plane_fails():
    """Issue 13, case 2: the exit height of a set cancelled by ``G00 X0. Y0.``."""
    old = prog(CHAMFER_LEFT, "G80\nG0 Z50.\n", CHAMFER_RIGHT, "G00 X0. Y0.\n")
    new = prog(CHAMFER_RIGHT, "G80\nG0 Z50.\n", CHAMFER_LEFT, "G00 X0. Y0.\n")
    report = compare(old, new)
    assert rules(report) == {"rule 4 (safety)"}, report.problems
    assert "moves X20. Y10. to X0. Y0. at Z2." in report.problems[0]
    # The same order leaving at the level the left set was left at in the original is fine.
    safe = prog(CHAMFER_RIGHT, "G80\nG0 Z50.\n", CHAMFER_LEFT, "G80\nG0 Z50.\nX0. Y0.\n")
    assert "rule 4 (safety)" not in rules(compare(old, safe))


def test_the_same_move_the_old_program_made_is_allowed_at_its_own_level():
    old = prog(CHAMFER_LEFT, "G80\nG0 Z50.\n", CHAMFER_RIGHT, "G00 X0. Y0.\n")
    assert compare(old, old).ok


def test_l_repeats_in_g91_expand_to_five_holes_and_four_do_not_pass():
    old = prog("G91\nG99 G81 X50. Y0. Z-8. R-45. F100. L2\nX-90. Y10.\nX80.\nX-70.\nG80\nG90\n")
    absolute = prog(
        "G99 G81 X50. Y0. Z-3. R5. F100.\nX100.\nX10. Y10.\nX90.\nX20.\nG80\n"
    )  # the same five holes in G90
    assert compare(old, absolute).ok, compare(old, absolute).problems
    four = absolute.replace("X100.\n", "")
    assert "rule 2 (items)" in rules(compare(old, four))


MILL = "T2 M6\nS3000 M3\nG0 X200. Y0.\nG43 H2 Z50.\n"


def test_work_moved_across_an_m00_fails_even_with_regrouping():
    """Issue 13, case 4: drilling of side 1 moved after ``M00 (FLIP PART FOR SIDE 2)``."""
    stop = "G80\nG0 Z50.\nM00 (FLIP PART FOR SIDE 2)\n"
    old = prog(G99_LEFT, stop, G99_RIGHT, "G80\nG0 Z50.\n")
    new = prog(G99_RIGHT, stop, G99_LEFT, "G80\nG0 Z50.\n")
    for regroup in (False, True):
        report = compare(old, new, allow_tool_regroup=regroup)
        assert "rule 2 (items)" in rules(report)


def pocket(x: int, y: int) -> str:
    return (
        f"G0 X{x}. Y{y}.\nZ2.\nG1 Z-3. F150.\nG1 X{x + 10}. F600.\nY{y + 10}.\n"
        f"G3 X{x + 8}. Y{y + 12}. I-2. J0.\nG1 X{x}.\nG0 Z25.\n"
    )


# Down to the travel level first, then away in XY: the old program travels at Z25.
AT_25 = "G0 Z25.\nX-20.\n"


def test_a_block_swapped_with_an_overlapping_block_fails_and_a_distant_one_passes():
    old = prog(AT_25, pocket(0, 0), pocket(5, 5), pocket(100, 0))
    swapped = prog(AT_25, pocket(5, 5), pocket(0, 0), pocket(100, 0))
    assert rules(compare(old, swapped)) == {"rule 3 (order)"}
    distant = prog(AT_25, pocket(100, 0), pocket(0, 0), pocket(5, 5))
    assert compare(old, distant).ok, compare(old, distant).problems


def test_a_hole_and_a_block_over_it_keep_their_order():
    old = prog(G99_LEFT, "G80\nG0 Z25.\n", pocket(12, 5))
    new = prog("G0 Z25.\n", pocket(12, 5), "G0 Z50.\n", G99_LEFT, "G80\nG0 Z25.\n")
    assert compare(old, old).ok
    assert "rule 3 (order)" in rules(compare(old, new))


def test_holes_at_the_same_place_keep_their_order_whatever_their_sets():
    deeper = "G99 G81 X20. Y10. Z-9. R2. F100.\nX10.\n"
    old = two_sets(G99_LEFT, deeper)
    assert compare(old, two_sets(G99_LEFT, "G99 G81 X10. Y10. Z-9. R2. F100.\nX20.\n")).ok
    report = compare(old, two_sets(deeper, G99_LEFT))
    assert rules(report) == {"rule 3 (order)"}
    assert len(report.problems) == 2  # X10. and X20.: each drilled deeper before the first pass


def test_an_item_at_an_unknown_place_keeps_its_order_with_everything():
    unknown = "G91 G28 X0. Y0.\nG90 G1 Z-1. F100.\nG0 Z50.\n"  # a feed move, XY unknown
    old = prog(G99_LEFT, "G80\nG0 Z50.\n", unknown, "G0 X100. Y100.\nG1 Z-1. F100.\nG0 Z50.\n")
    new = prog(G99_LEFT, "G80\nG0 Z50.\n", "G0 X100. Y100.\nG1 Z-1. F100.\nG0 Z50.\n", unknown)
    assert "rule 3 (order)" in rules(compare(old, new))


def tool(t: int, body: str) -> str:
    return f"T{t} M6\nS1000 M3\nG0 X0. Y0.\nG43 H{t} Z50.\n{body}G80\nG0 Z50.\nG91 G28 Z0.\nG90\n"


def test_tool_regrouping_passes_only_when_allowed():
    old = (
        "G90 G54\n"
        + tool(1, G99_LEFT)
        + tool(2, G99_RIGHT)
        + tool(1, "G99 G81 X100. Z-5. R2. F100.\n")
    )
    second = tool(1, "G99 G81 X100. Z-5. R2. F100.\n").replace("T1 M6\n", "")
    new = "G90 G54\n" + tool(1, G99_LEFT) + second + tool(2, G99_RIGHT)
    assert compare(old, new, allow_tool_regroup=True).ok
    assert "rule 1 (events)" in rules(compare(old, new))
    more = new.replace(
        "S1000 M3\nG0 X0. Y0.\nG43 H1 Z50.\nG99 G81 X100.",
        "T1 M6\nS1000 M3\nG0 X0. Y0.\nG43 H1 Z50.\nG99 G81 X100.",
    )
    assert compare(old, more, allow_tool_regroup=True).ok  # as many changes is fine too
    extra = new + "T3 M6\n"
    assert "rule 1 (events)" in rules(compare(old, extra, allow_tool_regroup=True))


def test_a_block_cut_backwards_passes_only_when_reversal_is_allowed():
    old = prog(AT_25, pocket(0, 0))
    backwards = prog(
        AT_25,
        "G0 X0. Y12.\nZ2.\nG1 Z-3. F150.\nG1 X8. F600.\nG2 X10. Y10. I0. J-2.\n"
        "G1 Y0.\nX0.\nG0 Z25.\n",
    )
    assert compare(old, backwards, allow_block_reversal=True).ok
    assert "rule 2 (items)" in rules(compare(old, backwards))
    wrong_turn = backwards.replace("G2 X10.", "G3 X10.")
    assert not compare(old, wrong_turn, allow_block_reversal=True).ok


def test_air_moves_may_become_rapids_only_above_the_air_cut_level():
    old = prog(AT_25, pocket(0, 0), "G1 X100. Y0. F2000.\n", pocket(100, 0))
    new = old.replace("G1 X100. Y0. F2000.", "G0 X100. Y0.")
    assert compare(old, new, air_cut_above_z_mm=5.0).ok
    assert not compare(old, new).ok
    assert not compare(old, new, air_cut_above_z_mm=30.0).ok


def test_hand_over_states_at_stops_and_at_the_end_must_match():
    old = prog(G99_LEFT, "G80\nG0 Z50.\nM01\n", G99_RIGHT, "G80\nG0 Z50.\n")
    coolant_off = old.replace("G0 Z50.\nM01", "G0 Z50.\nM9\nM01").replace("M01\n", "M01\nM8\n")
    report = compare(old, coolant_off)
    assert rules(report) == {"rule 5 (hand-over)"}
    assert "coolant flood became off" in report.problems[0]
    cycle_left_on = old.replace("G80\nG0 Z50.\nM01", "G0 Z50.\nM01")  # G0 cancels anyway
    assert compare(old, cycle_left_on).ok
    still_g99 = old.replace("G80\nG0 Z50.\nM01", "M01")
    assert "rule 5 (hand-over)" in rules(compare(old, still_g99))


def test_barriers_and_stops_must_be_the_same_in_the_same_order():
    old = prog(G99_LEFT, "G80\nG0 Z50.\nM98 P100\nM01\n")
    assert "rule 1 (events)" in rules(compare(old, old.replace("M98 P100", "M98 P200")))
    assert "rule 1 (events)" in rules(compare(old, old.replace("M01\n", "")))
    numbered = old.replace("M98 P100", "N500 M98 P100")
    assert compare(old, numbered).ok


def test_a_program_the_oracle_cannot_simulate_is_reported():
    report = compare(ONE_SET, ONE_SET.replace("F100.", ""))
    assert not report.ok
    assert report.problems[0].startswith("simulate: the new program cannot be simulated: line")

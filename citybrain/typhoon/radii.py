"""JMA best-track wind radii, read from the raw ``bst_all`` data lines.

Column positions (1-based, inclusive) follow RSMC Tokyo's "Format of RSMC Best Track Data"
(https://www.jma.go.jp/jma/jma-eng/jma-center/rsmc-hp-pub-eg/Besttracks/e_format_bst.html), whose
data-line ruler reads ``AAAAAAAA BBB C DDD EEEE FFFF     GGG     HIIII JJJJ KLLLL MMMM``:

* col 42 (H): direction of the longest radius of 50-kt winds or greater,
* cols 43–46 (IIII): the longest radius of 50-kt winds (nautical miles),
* cols 48–51 (JJJJ): the shortest radius of 50-kt winds (nm),
* col 53 (K), cols 54–57 (LLLL), cols 59–62 (MMMM): the same for 30-kt winds.

Direction codes: 1 NE, 2 E, 3 SE, 4 S, 5 SW, 6 W, 7 NW, 8 N, 9 symmetric circle, 0 no such winds.
A line that stops before column 42 (tropical depressions, lows) gives no radii at all (``None``),
which is different from a line that says "no 50-kt winds" (direction 0, radii 0).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bearing (degrees from north) of each direction code; 9 (symmetric) and 0 (none) have none.
BEARINGS = {1: 45.0, 2: 90.0, 3: 135.0, 4: 180.0, 5: 225.0, 6: 270.0, 7: 315.0, 8: 0.0}
#: (direction column, longest radius columns, shortest radius columns), 1-based inclusive, per threshold.
COLUMNS = {50: (42, (43, 46), (48, 51)), 30: (53, (54, 57), (59, 62))}
NM_KM = 1.852


class RadiiError(ValueError):
    """A radii field that is not what the format allows (the caller names file, row and field)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Radii:
    """One threshold's radii at one fix: direction code, longest and shortest radius (nm)."""

    direction: int
    long_nm: float
    short_nm: float

    @property
    def present(self) -> bool:
        """Whether winds of this threshold exist at the fix (direction 0 means none)."""
        return self.direction != 0 and self.long_nm > 0

    @property
    def bearing(self) -> float | None:
        """Bearing of the longest radius (None for a symmetric circle or no winds)."""
        return BEARINGS.get(self.direction)

    def as_list(self) -> list[float]:
        return [self.direction, self.long_nm, self.short_nm]


def _field(line: str, cols: tuple[int, int], name: str) -> int:
    text = line[cols[0] - 1:cols[1]].strip()
    if not text.isdigit():
        raise RadiiError(name, f"columns {cols[0]}-{cols[1]} should hold a number of nautical miles, got {text!r}")
    return int(text)


def parse_line(line: str) -> dict[int, Radii] | None:
    """The 50-kt and 30-kt radii of one ``bst_all`` data line, or None when the line carries none."""
    line = line.rstrip("\r\n")
    if len(line) < 42 or not line[41:].strip():
        return None
    out: dict[int, Radii] = {}
    for kt, (dcol, lcols, scols) in COLUMNS.items():
        d = line[dcol - 1:dcol].strip()
        if not d:
            if kt == 30:  # a 50-kt group without its 30-kt group cannot be read as anything
                raise RadiiError(f"r{kt}_direction", f"column {dcol} is empty while column 42 is not")
            raise RadiiError(f"r{kt}_direction", f"column {dcol} is empty")
        if not d.isdigit() or int(d) not in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9):
            raise RadiiError(f"r{kt}_direction", f"column {dcol} should be a direction code 0-9, got {d!r}")
        long_nm = _field(line, lcols, f"r{kt}_long_nm")
        short_nm = _field(line, scols, f"r{kt}_short_nm")
        if short_nm > long_nm:
            raise RadiiError(f"r{kt}_short_nm", f"shortest radius {short_nm} nm exceeds the longest {long_nm} nm")
        if int(d) == 9 and short_nm != long_nm:
            raise RadiiError(f"r{kt}_short_nm", f"a symmetric circle (code 9) has two radii {long_nm}/{short_nm} nm")
        out[kt] = Radii(int(d), float(long_nm), float(short_nm))
    return out

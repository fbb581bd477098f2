"""Draw custom_components/esim_keeper/brand/icon.png (256×256) and icon@2x.png (512×512).

Run with the project venv: .venv/bin/python scripts/make_icon.py. The picture: a SIM card with a cut
corner and a gold chip on a teal tile, and a green badge with a check mark: a number kept alive.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "custom_components" / "esim_keeper" / "brand"


def draw(size: int) -> Image.Image:
    s = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    # Tile.
    d.rounded_rectangle((0, 0, size - 1, size - 1), radius=int(48 * s), fill=(0, 137, 123, 255))
    # SIM card body with a cut top-right corner.
    left, top, right, bottom, cut = 58 * s, 36 * s, 198 * s, 220 * s, 42 * s
    card = [(left, top), (right - cut, top), (right, top + cut), (right, bottom), (left, bottom)]
    d.polygon(card, fill=(250, 250, 250, 255))
    # Gold chip with contact lines.
    cx0, cy0, cx1, cy1 = 86 * s, 98 * s, 170 * s, 170 * s
    d.rounded_rectangle((cx0, cy0, cx1, cy1), radius=int(10 * s), fill=(240, 180, 40, 255))
    line = (176, 120, 10, 255)
    w = max(1, int(4 * s))
    d.line(((cx0 + cx1) / 2, cy0, (cx0 + cx1) / 2, cy1), fill=line, width=w)
    for frac in (1 / 3, 2 / 3):
        y = cy0 + (cy1 - cy0) * frac
        d.line((cx0, y, cx1, y), fill=line, width=w)
    # Green badge with a check mark: the number is kept.
    bx, by, r = 186 * s, 196 * s, 44 * s
    d.ellipse(
        (bx - r, by - r, bx + r, by + r),
        fill=(46, 160, 67, 255),
        outline=(255, 255, 255, 255),
        width=max(1, int(6 * s)),
    )
    d.line(
        ((bx - 20 * s, by + 1 * s), (bx - 5 * s, by + 16 * s), (bx + 21 * s, by - 14 * s)),
        fill=(255, 255, 255, 255),
        width=max(1, int(9 * s)),
        joint="curve",
    )
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(OUT / "icon.png", optimize=True)
    draw(512).save(OUT / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()

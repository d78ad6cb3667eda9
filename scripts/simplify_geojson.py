#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Simplifies a GeoJSON of first-level regions for the dashboard: Douglas-Peucker per ring, coordinates
rounded to `precision` decimals, only the properties the map needs kept (code, name).

usage: simplify_geojson.py IN.geojson OUT.geojson [tolerance_degrees] [precision]
"""
import json
import sys


def perpendicular(p, a, b):
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def douglas_peucker(points, tolerance):
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, None
        for i in range(first + 1, last):
            d = perpendicular(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def signed_area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / 2


def orient(ring, clockwise):
    """d3-geo reads polygons on the sphere: exterior rings clockwise, holes counter-clockwise (the opposite
    of RFC 7946's advice), or a region becomes the whole globe minus itself."""
    is_clockwise = signed_area(ring) < 0
    return ring if is_clockwise == clockwise else ring[::-1]


def simplify_ring(ring, tolerance, precision):
    out = douglas_peucker(ring, tolerance)
    out = [[round(x, precision), round(y, precision)] for x, y in out]
    dedup = [out[0]] + [p for prev, p in zip(out, out[1:]) if p != prev]
    if dedup[0] != dedup[-1]:
        dedup.append(dedup[0])
    return dedup if len(dedup) >= 4 else None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
    precision = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    data = json.load(open(src, encoding="utf-8"))
    features = []
    for f in data["features"]:
        geometry = f["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        out_polygons = []
        for polygon in polygons:
            rings = [simplify_ring(r, tolerance, precision) for r in polygon]
            if rings[0] is None:
                continue  # an islet smaller than the tolerance
            rings = [r for r in rings if r is not None]
            out_polygons.append([orient(r, i == 0) for i, r in enumerate(rings)])
        p = f["properties"]
        features.append({"type": "Feature",
                         "properties": {"ISO_3166_2": p["ISO_3166_2"], "name": p.get("ADM1_EN", "")},
                         "geometry": {"type": "MultiPolygon", "coordinates": out_polygons}})
    out = {"type": "FeatureCollection",
           "source": "OCHA/HDX Kazakhstan subnational administrative boundaries (2018), CC BY 4.0; simplified",
           "features": features}
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(out, fh, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main()

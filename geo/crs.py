"""Coordinate reference systems used everywhere: one place, so every layer agrees."""

#: CRS for all analysis (areas, distances, simplification): British National Grid, metres.
ANALYSIS_CRS = "EPSG:27700"
#: CRS for web maps and GeoJSON exports: WGS84 longitude/latitude.
WEB_CRS = "EPSG:4326"

"""Maps, charts and public figures: matplotlib (Figure + Agg, never pyplot), cached as bytes on disk.

Modules: `fonts` (the shipped font), `render` (the render lock and the thread), `cache`, `results`
(what the public may see, read from the database), `mapping` (map figures), `charts`, `geojson`,
`boundaries` (uploaded commune boundaries), `playareas`, `privacy`, `exports` (CSV/XLSX), `share`;
the public pages (`public_pages`) and the boundary upload page (`boundary_pages`).
"""

"""Maps, charts and public figures: matplotlib (Figure + Agg, never pyplot), cached as bytes on disk.

Modules: `fonts` (the shipped font, the phone-readable minimum size), `render` (the render lock and
the thread), `cache`, `results` (what the public may see, read from the database), `privacy` (the
public view of a result: goals reached, nothing that could reveal a small count), `goals` (each goal
in children's words), `summary`, `outline` (Vietnam's approximate provinces and archipelagos),
`mapping` (map figures), `charts`, `geojson`, `boundaries` (uploaded commune boundaries), `playareas`,
`exports` (CSV/XLSX), `share`; the public pages (`public_pages`) and the boundary upload page
(`boundary_pages`).
"""

"""phuhop collection and review server (Litestar + Piccolo)."""

"""Collection: storing submissions (`submissions`), the collaborator's pages, the forms and submissions API."""

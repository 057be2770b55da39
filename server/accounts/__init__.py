"""People: password hashing and sessions (`auth`), creating accounts (`users`), the login and account pages."""

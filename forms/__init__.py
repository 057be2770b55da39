"""Versioned survey forms: definitions as data and the validation of answers against them."""

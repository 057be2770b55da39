"""Pure scoring engine: rule sets as data, indicator values in, an explained result out."""

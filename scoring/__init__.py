"""Pure scoring engine: rule sets as data, indicator values in, an explained result out.

No I/O beyond reading the packaged rule files: callers (CLI, server) bring the data and show
the result.
"""

from scoring.engine import score, score_document
from scoring.inputs import InputProblem, ScoringInputError
from scoring.messages import COMMUNE_TYPE_LABELS, N_
from scoring.result import ScoreResult
from scoring.ruleset import (COMMUNE_TYPES, RuleFileError, RuleSet, UnknownRulesError, list_rules, load_rules,
                             load_rules_file, parse_rules)
from scoring.totals import Totals, score_document_totals, score_totals

__all__ = [
    "COMMUNE_TYPES", "COMMUNE_TYPE_LABELS", "N_", "InputProblem", "RuleFileError", "RuleSet", "ScoreResult",
    "ScoringInputError", "Totals", "UnknownRulesError", "list_rules", "load_rules", "load_rules_file", "parse_rules",
    "score", "score_document", "score_document_totals", "score_totals",
]

"""What a commune's assessment still lacks before it can be scored, grouped by the form that gives it,
in the words of the people who fill the forms ("Xã chưa gửi phiếu «Số liệu hằng năm của xã»").

One module for both readers: the collaborator's "send for review" page and the reviewer's commune
page. It reads the scoring's problems (missing or impossible indicator values, by key) and says which
form would give each value, by the precedence of `forms.derive`: the annual form gives every key,
except those a detailed form gives once the commune has sent one (`DETAILED_SOURCES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forms import registry as form_registry
from forms.derive import DETAILED_SOURCES
from scoring import InputProblem
from server.core.i18n import N_, gettext
from server.core.templating import localized
from server.review.indicators import ANNUAL, Reported, indicator_labels

FORM_ORDER = (ANNUAL, "play-area", "child-participation", "satisfaction")


@dataclass
class Missing:
    """What one form still has to give: sentences to read, and where to fill it in."""

    form_id: str
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def fill_url(self) -> str | None:
        try:
            form = form_registry.latest(self.form_id)
        except form_registry.FormNotAccepted:
            return None
        return f"/my/forms/{form.form_id}/{form.version}"


def what_is_missing(reported: Reported, problems: list[InputProblem]) -> list[Missing]:
    """Every problem that keeps the commune from being scored, by form, in the page's language."""
    sent = set(reported.form_versions)
    groups: dict[str, Missing] = {}

    def group(form_id: str) -> Missing:
        if form_id not in groups:
            groups[form_id] = Missing(form_id, _title(form_id))
        return groups[form_id]

    missing = [problem.key for problem in problems if problem.code == "missing_key"]
    from_annual = [key for key in missing if key not in DETAILED_SOURCES]
    if ANNUAL not in sent and missing:
        group(ANNUAL).lines.append(gettext(N_("The commune has not sent the form «%(form)s» yet."),
                                           form=_title(ANNUAL)))
    elif from_annual:
        group(ANNUAL).lines.append(gettext(N_("These questions of «%(form)s» have no answer: %(questions)s."),
                                           form=_title(ANNUAL), questions=_questions(from_annual)))
    for form_id in FORM_ORDER[1:]:
        keys = [key for key in missing if DETAILED_SOURCES.get(key) == form_id]
        if not keys:
            continue
        lines = group(form_id).lines
        lines.append(gettext(N_("No «%(form)s» form has been sent yet."), form=_title(form_id)))
        if ANNUAL in sent:
            lines.append(gettext(N_("Or answer these questions of «%(form)s»: %(questions)s."),
                                 form=_title(ANNUAL), questions=_questions(keys)))
    for problem in problems:
        if problem.code != "missing_key":
            source = DETAILED_SOURCES.get(problem.key) if DETAILED_SOURCES.get(problem.key) in sent else ANNUAL
            group(source).lines.append(_sentence(problem))
    return [groups[form_id] for form_id in FORM_ORDER if form_id in groups]


def _title(form_id: str) -> str:
    try:
        return localized(form_registry.latest(form_id).title)
    except form_registry.FormNotAccepted:
        return form_id


def _label(key: str) -> str:
    texts = indicator_labels().get(key)
    return f"«{localized(texts)}»" if texts else key


def _questions(keys: list[str]) -> str:
    return "; ".join(_label(key) for key in keys)


def _sentence(problem: InputProblem) -> str:
    """A scoring problem with each key replaced by the question people answered."""
    params = {name: _label(value) if name == "denominator" and isinstance(value, str) else value
              for name, value in problem.params.items()}
    return gettext(problem.message, key=_label(problem.key), **params)

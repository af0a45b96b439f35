"""Customer-experience KPIs: surveys, quality reviews, SERVQUAL and self-service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.intervals import share_value
from kpiframe.calculators.stats import STAT_SCHEMA, both
from kpiframe.contracts import Period, Value
from kpiframe.packs.support.base import DURATION_UNIT, ColumnStatKpi, RateKpi, SupportKpi, flag, net_score

KIND = {
    "type": "string",
    "description": "keep survey rows whose `kind` role equals this (when the source maps `kind`); `any` keeps all",
}


def survey_scope(table: Any, params: Mapping[str, Any], default_kind: str, where: Any) -> Any:
    """The answers a survey KPI counts: ``where``, the asked survey kind (when the source
    maps a `kind` role) and a score that is not blank."""
    kind = params.get("kind", default_kind)
    scope = where
    if "kind" in table.columns and kind != "any":
        scope = both(scope, table.kind.cast("string").lower() == kind.lower())
    return both(scope, table.score.notnull())


class Csat(SupportKpi):
    name = "support.csat"
    title = "CSAT"
    unit = "%"
    direction = "higher"
    roles = ("score",)
    table_kind = "surveys"
    doc = (
        "Top-box CSAT: answers with score ≥ `positive_from` (default 4 on a 1–5 `scale`) ÷ all "
        "answers, in %, with n and a Wilson 95% interval. Text answers (a three-level "
        "great/okay/bad survey, Zendesk's good/bad) count as positive when they are one of "
        "`positive_labels`. `formula: mean` reports the mean score instead. Blank scores are left out."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "formula": {"enum": ["top_box", "mean"]},
            "scale": {"type": "integer", "minimum": 2, "description": "highest score (default 5)"},
            "positive_from": {"type": "number", "description": "lowest positive score (default 4)"},
            "positive_labels": {
                "type": "array",
                "items": {"type": "string"},
                "description": "text answers counted positive (default great, good, satisfied)",
            },
            "kind": KIND,
        },
        "additionalProperties": False,
    }
    example = {"scale": 5, "positive_from": 4}

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return "score" if params.get("formula") == "mean" else "%"

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = survey_scope(table, params, "csat", where)
        if table.score.type().is_string():
            labels = [label.lower() for label in params.get("positive_labels", ["great", "good", "satisfied"])]
            positive = table.score.strip().lower().isin(labels)
            mean = None
        else:
            positive = table.score >= params.get("positive_from", 4)
            mean = table.score.mean(where=scope)
        parts = {"positive": table.count(where=both(scope, positive)), "n": table.count(where=scope)}
        if params.get("formula") == "mean":
            if mean is None:
                from kpiframe.errors import ExpressionError

                raise ExpressionError("formula: mean needs numeric scores; these are text")
            parts["mean"] = mean
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n, positive = int(parts["n"] or 0), int(parts["positive"] or 0)
        if n and params.get("formula") == "mean":
            return Value(float(parts["mean"]), n=n)
        return share_value(positive, n, "no survey answers in the window", positive=positive)


class Nps(SupportKpi):
    name = "support.nps"
    title = "NPS"
    unit = "points"
    direction = "higher"
    roles = ("score",)
    table_kind = "surveys"
    doc = (
        "Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100, with n "
        "and a 95% interval from the variance of the promoter/detractor difference."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"kind": KIND},
        "additionalProperties": False,
    }
    default_kind: ClassVar[str] = "nps"

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = survey_scope(table, params, self.default_kind, where)
        return {
            "promoters": table.count(where=both(scope, table.score >= 9)),
            "detractors": table.count(where=both(scope, table.score <= 6)),
            "n": table.count(where=scope),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return net_score(int(parts["promoters"] or 0), int(parts["detractors"] or 0), int(parts["n"] or 0))


class Ces(SupportKpi):
    name = "support.ces"
    title = "Customer effort score"
    unit = "score"
    direction = "higher"
    roles = ("score",)
    table_kind = "surveys"
    doc = (
        "Mean score on the survey's scale (default 1–7, CES 2.0 'the company made it easy to handle "
        "my issue': higher is better). `formula: agree_share` gives the share answering "
        "`agree_from` (default 5) or more instead. For the older effort question, where lower is "
        "better, set the metric's `direction: lower`."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "formula": {"enum": ["mean", "agree_share"]},
            "agree_from": {"type": "number", "description": "lowest agreeing score (default 5)"},
            "kind": KIND,
        },
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return "%" if params.get("formula") == "agree_share" else "score"

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = survey_scope(table, params, "ces", where)
        return {
            "mean": table.score.mean(where=scope),
            "agree": table.count(where=both(scope, table.score >= params.get("agree_from", 5))),
            "n": table.count(where=scope),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        if n == 0:
            return Value.no_data("no survey answers in the window")
        if params.get("formula") == "agree_share":
            return share_value(int(parts["agree"] or 0), n, "no survey answers in the window")
        return Value(float(parts["mean"]), n=n)


class Iqs(SupportKpi):
    name = "support.iqs"
    title = "Internal quality score"
    unit = "%"
    direction = "higher"
    roles = ("score", "max_score")
    table_kind = "quality_reviews"
    doc = "Σ score ÷ Σ max_score of internal quality reviews × 100 (a ratio of sums, not a mean of percentages)."

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = both(where, table.score.notnull() & table.max_score.notnull())
        return {
            "score": table.score.sum(where=scope),
            "max": table.max_score.sum(where=scope),
            "n": table.count(where=scope),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        if not parts["max"]:
            return Value.no_data("no reviews in the window", n=int(parts["n"] or 0))
        return Value(100 * float(parts["score"]) / float(parts["max"]), n=int(parts["n"]))


class Servqual(SupportKpi):
    name = "support.servqual"
    title = "SERVQUAL gap"
    unit = "gap"
    direction = "higher"
    roles = ("perception", "expectation")
    table_kind = "servqual"
    doc = (
        "Mean (perception − expectation) over answers with both, overall or for one `dimension` "
        "(tangibles, reliability, responsiveness, assurance, empathy). 0 means expectations met; "
        "negative means a service gap."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "dimension": {"type": "string", "description": "one SERVQUAL dimension (needs the dimension role)"}
        },
        "additionalProperties": False,
    }

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return self.roles + (("dimension",) if "dimension" in params else ())

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        gap = table.perception - table.expectation
        scope = both(where, gap.notnull())
        if "dimension" in params:
            scope = both(scope, table.dimension.lower() == params["dimension"].lower())
        return {"gap": gap.mean(where=scope), "n": table.count(where=scope)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        if n == 0:
            return Value.no_data("no answers in the window")
        return Value(float(parts["gap"]), n=n)


class KbArticleReads(SupportKpi):
    name = "support.kb_article_reads"
    title = "Knowledge-base article reads"
    unit = "count"
    table_kind = "kb_views"
    doc = (
        "Knowledge-base article views in the window; one article with `article_id`, or per article with `by:"
        " [article_id]`."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"article_id": {"type": ["string", "integer"], "description": "count one article only"}},
        "additionalProperties": False,
    }

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return ("article_id",) if "article_id" in params else ()

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        if "article_id" in params:
            where = both(where, table.article_id.cast("string") == str(params["article_id"]))
        return {"views": table.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return Value(int(parts["views"] or 0), n=int(parts["views"] or 0))


class KbReadTime(ColumnStatKpi):
    name = "support.kb_read_time"
    title = "Knowledge-base read time"
    value_role = "read_seconds"
    table_kind = "kb_views"
    doc = "Mean (or `stat: median`) read_seconds per article view; views with no read time are left out."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"stat": STAT_SCHEMA, "unit": DURATION_UNIT},
        "additionalProperties": False,
    }


class SelfServiceDeflection(RateKpi):
    name = "support.self_service_deflection"
    title = "Self-service deflection"
    direction = "higher"
    roles = ("contacted_after",)
    table_kind = "kb_views"
    doc = "KB views not followed by a contact ÷ KB views (views with an unknown follow-up are left out)."

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return table.contacted_after.notnull()

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return ~flag(table, "contacted_after")


KPIS = [Csat(), Nps(), Ces(), Iqs(), Servqual(), KbArticleReads(), KbReadTime(), SelfServiceDeflection()]

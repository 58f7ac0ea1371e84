"""What the model fills: the pydantic schemas sent as structured output and checked on every answer.

Each field's description is what the model reads in the schema; the validators are what sends an
answer back with the error (the re-ask path of llm.ask_json): a stance without a direction, an
asset named with 对, a 深度解读 or 投资启示 that repeats the summary, a translation that is not Chinese.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from briefing.models import repeats
from briefing.write import needs_translation

STANCES = ("利多", "利空", "中性", "分化")

# -- what the model fills -----------------------------------------------------------------------

Title = Annotated[
    str,
    Field(min_length=4, max_length=36, description="标题，不超过30字，先写决定性事实及其数字"),
]
Summary = Annotated[
    str, Field(min_length=10, description="事实段落，2–4句，只用来源中的事实和数字")
]
Insight = Annotated[
    str,
    Field(min_length=20, description="深度解读 & 洞察，2–3段，段落间空一行；不重复概述中的句子"),
]
Takeaway = Annotated[
    str,
    Field(
        min_length=6,
        description="投资启示：一到三个可核对的具体动作（日期、数据发布、关注的点位），用分号分隔",
    ),
]


class ImpactDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    asset: str = Field(
        min_length=1, max_length=12, description="资产名，不带“对”字，如 美元、黄金/白银、A股"
    )
    stance: str = Field(
        min_length=2,
        max_length=16,
        description="利多 / 利空 / 中性 / 分化，可加限定词，如 短期利空",
    )
    text: str = Field(min_length=4, description="一两句理由，说明传导路径")

    @field_validator("asset")
    @classmethod
    def _no_dui(cls, v: str) -> str:
        v = v.strip().removeprefix("对").strip()
        if not v:
            raise ValueError("资产名不能为空")
        return v

    @field_validator("stance")
    @classmethod
    def _stance(cls, v: str) -> str:
        if not any(s in v for s in STANCES):
            raise ValueError(
                "stance 必须包含 利多、利空、中性、分化 之一（可加限定词，如 短期利空）"
            )
        return v.strip()


Impacts = Annotated[
    list[ImpactDraft], Field(min_length=3, max_length=6, description="3–5条，每条一类资产")
]


class EventDraft(BaseModel):
    """One event section as the model writes it."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    summary: Summary
    insight: Insight
    impacts: Impacts
    takeaway: Takeaway

    @model_validator(mode="after")
    def _said_once(self) -> EventDraft:
        """The re-ask shows this error to the model: 深度解读 and 投资启示 add to the summary."""
        for name in ("insight", "takeaway"):
            if said := repeats(self.summary, getattr(self, name)):
                raise ValueError(
                    f"{name} 逐字重复了 summary 中的句子「{said[:40]}」：请改写为新的分析或具体动作"
                )
        return self


class SummaryDraft(BaseModel):
    summary: Summary


class InsightDraft(BaseModel):
    insight: Insight


class ImpactsDraft(BaseModel):
    impacts: Annotated[
        list[ImpactDraft], Field(min_length=1, max_length=6, description="通常3–5条")
    ]


class TakeawayDraft(BaseModel):
    takeaway: Takeaway


class HeadlineDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    headline: str = Field(
        min_length=4, max_length=40, description="总标题：当天的主题，不超过40字，不是标题拼接"
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=12)]] = Field(
        max_length=6, description="2–4个主题标签"
    )
    seo: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        max_length=8, description="3–6个关键词"
    )


class TitleTranslation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    n: int = Field(description="标题编号")
    zh: str = Field(min_length=2, max_length=80, description="简体中文新闻标题")

    @field_validator("zh")
    @classmethod
    def _chinese(cls, v: str) -> str:
        if needs_translation(v):
            raise ValueError("zh 必须是简体中文标题")
        return v


class TranslationsDraft(BaseModel):
    titles: list[TitleTranslation]


# section -> (EventAnalysis field, draft model, label used in the prompt)
SECTIONS: dict[str, tuple[str, type[BaseModel], str]] = {
    "summary": ("summary", SummaryDraft, "事件概述"),
    "insight": ("insight", InsightDraft, "深度解读 & 洞察"),
    "impact": ("impacts", ImpactsDraft, "影响"),
    "takeaway": ("takeaway", TakeawayDraft, "投资启示"),
}

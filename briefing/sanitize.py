"""Feed text is untrusted: make it plain, single-line where needed, harmless in Markdown, and spot orders to a model."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "svg", "head"}
_BLOCK = {
    "p",
    "br",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "section",
    "article",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


@cache
def _format_chars() -> re.Pattern[str]:
    """Every Unicode format character (category Cf), built once: they sit below U+20000 or in plane 14."""
    ranges: list[list[int]] = []
    for c in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(c)) == "Cf":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    # As ranges (U+200B-U+200F, not five characters): the class matches ~9x faster that way.
    return re.compile(
        "["
        + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
        + "]"
    )


def drop_format_chars(text: str) -> str:
    """Text without zero-width, bidi-override, BOM, soft-hyphen or tag characters: invisible, yet they reorder or hide."""
    return _format_chars().sub("", text)


_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NL = re.compile(r"\s*\n\s*")
# A script or style element that survived as text (an escaped <script> decoded once is text, not news).
_CODE_TEXT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)


# A plain tag: an ASCII name, then attributes with no quote, '<', '>', NUL or whitespace other than
# HTML's own five (HTMLParser reads '</p\u3000>' and '<p\xa0>' by rules of their own).
# Markup made only of these (and text without '<') reads the same with a regex as with
# HTMLParser, several times faster; anything else goes to HTMLParser.
_PLAIN_TAG = re.compile(
    r"</?([A-Za-z][A-Za-z0-9:_.-]*)"
    r"(?:[ \t\n\r\f/][^<>\"'\x00\x0b\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?>"
)


def _plain_markup_text(markup: str) -> str | None:
    """The text of markup made only of plain tags, none of them skipped; None for anything else."""
    out, pos = [], 0
    for m in _PLAIN_TAG.finditer(markup):
        tag = m.group(1).lower()
        if tag in _SKIP:
            return None
        out.append(markup[pos : m.start()])
        if tag in _BLOCK:  # <br/> is a start and an end tag to HTMLParser: two breaks
            out.append("\n\n" if m[0].endswith("/>") and m[0][1] != "/" else "\n")
        pos = m.end()
    out.append(markup[pos:])
    if any("<" in run for run in out):
        return None  # a comment, a quoted attribute, a stray '<': HTMLParser knows those rules
    return "".join(_unescape(run) for run in out)


def _unescape(data: str) -> str:
    """Entities of one run of text between tags, decoded once, as HTMLParser decodes them."""
    return html.unescape(data) if "&" in data else data


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: tags, scripts and styles gone, entities decoded once, spaces folded."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    elif (text := _plain_markup_text(markup)) is None:
        p = _Text()  # convert_charrefs: entities are decoded here, and only here
        p.feed(markup)
        p.close()
        text = "".join(p.out)
    if "<" in text:
        text = _CODE_TEXT.sub("", text)
    text = _WS.sub(" ", drop_format_chars(text))
    return _NL.sub("\n", text).strip()


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Fold every line break and control character into one space: a title can never start a new line."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", drop_format_chars(text))).strip()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_inline(text: str) -> str:
    """Feed text as literal Markdown: one line, no markup, no links, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|[^。！？!?；;\n]+")


def sentences(text: str) -> list[str]:
    """Split Chinese or English prose into sentences on 。！？；!? and line breaks (periods in 3.5% are kept)."""
    out = []
    for chunk in re.split(r"(?<=[.])\s+(?=[A-Z])", text):
        out += [s.strip() for s in _SENT.findall(chunk) if s.strip()]
    return out


_INSTRUCTION = re.compile(
    r"(忽略|无视|不要理会|忘记|忘掉).{0,12}(指令|指示|提示|要求|规则|设定)"
    r"|(以上|之前|前面|上述)(所有|全部)?的?(指令|指示|提示|内容)"
    r"|(请|务必|必须)(你|您)?(在|于)?(报告|回答|输出|文章)"
    r"|(系统提示|system prompt|提示词|prompt injection)"
    r"|\b(ignore|disregard|forget)\b.{0,30}\b(instructions?|prompts?|rules|above)\b"
    r"|\byou are (now )?(a|an|the)\b.{0,40}\b(assistant|model|AI)\b"
    r"|\b(output|print|write|respond with)\b.{0,30}\b(report|answer|the following)\b",
    re.IGNORECASE,
)


def is_instruction(text: str) -> bool:
    """A sentence that gives orders to a model rather than reporting news; never quoted as a fact."""
    return bool(_INSTRUCTION.search(text))


_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(((?:[^()\n]|\([^()\n]*\))*)\)")
_SCHEME = re.compile(r"\b(javascript|vbscript|data)\s*:", re.IGNORECASE)
_STRUCTURAL = re.compile(r"^(\s*)(#|---|\*\*\*|___|===|>|```|~~~|事件时间：|- \*\*对)")


def harmless(text: str, *, multiline: bool = False) -> str:
    """Text that can sit in the report's Markdown without adding markup, links, HTML or structure.

    Idempotent, so a parsed-back report validates to the same text; `**bold**` and numbered lists
    stay (they are harmless), headings, rules, quotes and front-matter fences at a line start do not.
    """
    text = drop_format_chars(text)
    if _TAG.search(text):
        text = html_to_text(text)
    text = text.replace("<", "＜").replace(">", "＞")
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _SCHEME.sub(lambda m: m.group(1) + "：", text)
    if not multiline:
        return _STRUCTURAL.sub(r"\1\\\2", one_line(text))
    lines = [
        re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", ln).rstrip()
        for ln in text.replace("\r\n", "\n").split("\n")
    ]
    lines = [_STRUCTURAL.sub(r"\1\\\2", ln) for ln in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- platform boilerplate

# Calls to act on the page, not news: click/read more/follow/scan/share/like prompts, reprint notices.
_PROMPT = re.compile(
    r"点击.{0,12}?(这里|此处|链接|原文|全文|下方|上方|蓝字|关注|名片|卡片|图片|查看|阅读|进入|了解|预约|订阅)"
    r"|(查看|阅读|浏览)(更多|全文|原文)|更多(精彩|内容|资讯|新闻|详情)|阅读原文"
    r"|(关注|订阅|置顶|星标)(我们|本号|本公众号|公众号|微信号|官方)|设为星标"
    r"|长按.{0,8}(识别|扫码|二维码|关注|保存)|扫(描|一扫)?.{0,8}(二维码|小程序码|下方|上方|图中)"
    r"|(分享|转发)(到|给|至)?(朋友圈|好友|给更多)|(点个?赞|点亮?.?在看|在看.?点赞)"
    r"|欢迎(转发|分享|关注|留言|投稿)|(未经|没有).{0,6}(授权|许可).{0,10}(转载|使用|摘编)"
    r"|转载请(注明|联系)|版权(归.{0,20}所有|所有|声明)|免责声明|(商务|广告)合作"
    r"|(往期|精彩|相关|推荐|延伸)(回顾|推荐|阅读|精选)"
    r"|^(微信号|公众号|ID)[：:]\s*\w+$"
    r"|\b(click here|read more|continue reading|follow us|subscribe (now|to|for))\b",
    re.IGNORECASE,
)
# Credit and provenance lines: 原标题：… 责任编辑：… 来源：… (a label, a colon, a short value).
_CREDIT = re.compile(
    r"^[（(【\[]?\s*(原标题|原题|责任编辑|责编|编辑|校对|审核|初审|复审|终审|审校|监制|出品|出品人|策划|统筹"
    r"|制作|设计|排版|美编|来源|本文来源|文章来源|稿件来源|图片来源|图源|题图|封面图|作者|记者|通讯员|撰文"
    r"|摄影|实习生|编译|翻译)\s*[：:|丨]"
)
_DECORATION = re.compile(r"^[\W_]*(END|完|THE END)?[\W_]*$", re.IGNORECASE)
_SEGMENT = re.compile(r"[^。！？!?\n]+[。！？!?]*")


def _is_boilerplate_segment(seg: str) -> bool:
    seg = seg.strip()
    if _CREDIT.match(seg):
        return len(seg) <= 80  # a credit line, or 原标题 and a headline; longer is a paragraph
    return len(seg) <= 40 and bool(_PROMPT.search(seg))


def strip_boilerplate(text: str) -> str:
    """Text without the platform's prompts and credit lines (「点击这里，查看更多」「原标题：…」「责任编辑：…」…).

    Prompts and credits go sentence by sentence; a line of only symbols (▼, - END -) goes whole.
    """
    kept_lines = []
    for line in text.split("\n"):
        if _DECORATION.match(line):
            continue
        parts = _SEGMENT.findall(line)
        kept = "".join(p for p in parts if not _is_boilerplate_segment(p)).strip()
        if kept and not _DECORATION.match(kept):
            kept_lines.append(kept)
    return "\n".join(kept_lines)


def is_boilerplate(text: str) -> bool:
    """True when nothing but platform boilerplate is said (a title like 「点击这里，查看更多精彩内容」)."""
    return bool(text.strip()) and not strip_boilerplate(text)

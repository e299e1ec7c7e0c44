"""What counts as an edit: field-level changes between two versions of an article."""

from __future__ import annotations

from pingan_crawler.parsing.diff import (
    Fields,
    body_changes,
    field_changes,
    is_edit,
    same_body,
    similarity,
)

BODY = "\n".join(
    [
        "本网讯 近日，东湖警方破获一起跨省电信网络诈骗案。",
        "据介绍，此次行动共抓获犯罪嫌疑人12名，查扣涉案资金30万元。",
        "下一步，警方将继续加大打击力度。",
    ]
)


def fields(**changes) -> Fields:
    base = {
        "title": "东湖警方破获一起跨省电信网络诈骗案",
        "published_at": "2024-06-01T09:30:00+08:00",
        "published_precision": "minute",
        "source": "东湖市公安局",
        "editor": "林晓",
        "author": "通讯员 陈嘉禾",
        "body": BODY,
    }
    return Fields(**{**base, **changes})


def test_one_number_in_the_body_is_one_changed_passage_not_the_whole_body():
    edited = BODY.replace("12名", "15名")
    changes = field_changes(fields(), fields(body=edited))
    assert changes == {
        "body": [
            ["据介绍，此次行动共抓获犯罪嫌疑人12名，查扣涉案资金30万元。"],
            ["据介绍，此次行动共抓获犯罪嫌疑人15名，查扣涉案资金30万元。"],
        ]
    }
    assert is_edit(changes)


def test_title_and_meta_changes_are_old_new_pairs():
    changes = field_changes(fields(), fields(title="东湖警方破获诈骗案（更正）", editor="吴思"))
    assert changes == {
        "title": ["东湖警方破获一起跨省电信网络诈骗案", "东湖警方破获诈骗案（更正）"],
        "editor": ["林晓", "吴思"],
    }


def test_whitespace_width_and_reflowed_paragraph_breaks_are_no_edit():
    reflowed = BODY.replace("。\n", "。\n\n").replace("，", ", ").replace("12", "１２")
    assert (
        field_changes(fields(), fields(body=reflowed, title=" 东湖警方破获一起跨省电信网络诈骗案"))
        == {}
    )


def test_a_view_counter_or_update_time_inside_the_body_is_masked():
    old = BODY + "\n浏览次数：120\n更新时间：2024-06-01 10:00"
    new = BODY + "\n浏览次数：348\n更新时间：2024-06-03 08:12"
    assert same_body(old, new)
    assert field_changes(fields(body=old), fields(body=new)) == {}
    # … but a number in a sentence is text
    assert not same_body(BODY, BODY.replace("30万元", "300万元"))


def test_publish_time_compared_at_the_coarser_precision():
    by_day = fields(published_at="2024-06-01T00:00:00+08:00", published_precision="day")
    assert field_changes(by_day, fields()) == {}  # the template now prints the minute
    moved = fields(published_at="2024-06-02T09:30:00+08:00")
    assert field_changes(fields(), moved) == {
        "published_at": ["2024-06-01T09:30:00+08:00", "2024-06-02T09:30:00+08:00"]
    }


def test_a_field_that_only_went_missing_is_no_edit_alone():
    lost = field_changes(fields(), fields(source=None, author=None))
    assert lost == {"source": ["东湖市公安局", None], "author": ["通讯员 陈嘉禾", None]}
    assert not is_edit(lost)
    assert is_edit(field_changes(fields(), fields(source=None, title="新标题")))
    assert is_edit(field_changes(fields(source=None), fields()))  # a 来源 now printed


def test_inserted_and_deleted_paragraphs_have_an_empty_side():
    added = BODY + "\n记者从警方获悉，案件正在进一步审理中。"
    assert body_changes(BODY, added) == ([""], ["记者从警方获悉，案件正在进一步审理中。"])
    cut = "\n".join(BODY.splitlines()[:2])
    assert body_changes(BODY, cut) == (["下一步，警方将继续加大打击力度。"], [""])


def test_similarity_tells_the_same_article_from_another():
    assert similarity(BODY, BODY.replace("12名", "15名")) >= 0.6
    assert similarity(BODY, "市政法委召开平安建设推进会。\n会议部署了下一阶段工作。") == 0.0
    assert similarity("", BODY) == 0.0

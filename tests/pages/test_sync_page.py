from engine.store import Store
from engine.sync.service import history, list_conflicts
from tests.pages.harness import assert_clean, open_page
from tests.sync.harness import component, document, make_world


def test_empty_state_says_how_to_add_a_target(store: Store) -> None:
    at = open_page("sync.py")
    assert_clean(at)
    assert any("hub target add" in i.value for i in at.info)


def test_targets_conflicts_and_sync_now(store: Store) -> None:
    w = make_world(
        store, github_doc=document(component("auth")), drive_doc=document(component("auth"))
    )
    w.sync()
    w.edit_github(document(component("auth", version="2.0.0")))
    w.edit_drive(document(component("auth", version="3.0.0")))
    assert w.sync()["status"] == "conflict"

    at = open_page("sync.py")
    assert_clean(at)
    targets = at.dataframe[0].value
    assert list(targets["target"]) == ["arch"]
    assert targets["last status"][0] == "conflict"
    assert targets["open conflicts"][0] == 1
    assert any("/components/auth/version" in m.value for m in at.markdown)
    history_table = at.dataframe[1].value
    assert list(history_table["status"]) == ["conflict", "succeeded"]

    at.button(key="ai" + str(list_conflicts(store, "arch")[0]["id"])).click().run()
    assert_clean(at)
    assert list_conflicts(store, "arch") == []  # resolved from the page …
    assert history(store, "arch")[0]["trigger"] == "resolution"  # … and a sync was queued

    at.button[0].click().run()  # "Sync now" while that job is queued: the same job
    assert_clean(at)
    assert len([j for j in history(store, "arch") if j["status"] == "queued"]) == 1

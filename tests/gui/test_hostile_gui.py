"""The window when another process is changing the home (issue 13): training and removing a person are refused
with the holder named, nothing changes, and the window works on once the other process is gone (even killed)."""
import numpy as np

from faceverify.home.store import Store
from helpers import hold_home_lock

WAIT_MS = 30000


def test_training_and_removal_are_refused_while_another_process_trains(open_gui, qtbot, home, confirmations):
    store = Store(home)
    rng = np.random.default_rng(0)
    for role in ("anchor", "positive"):
        for _ in range(3):
            store.add_image("Ada", role, rng.integers(0, 255, (100, 100, 3), np.uint8))
    holder = hold_home_lock(home, "training")
    try:
        window = open_gui(97)
        box = window.enroll_tab.trainer
        box.train()
        qtbot.waitUntil(lambda: not box.running, timeout=WAIT_MS)
        assert f"another faceverify training (pid {holder.pid}, since" in box.status.text()

        people = window.people_view
        people.table.selectRow(0)
        people.remove_selected()
        qtbot.waitUntil(lambda: "another faceverify training" in people.message.text(), timeout=WAIT_MS)
        assert [p.name for p in store.people()] == ["Ada"]
    finally:
        holder.kill()
        holder.wait(timeout=30)
    people.remove_selected()  # the killed holder's lock is gone with it
    qtbot.waitUntil(lambda: people.table.rowCount() == 0, timeout=WAIT_MS)
    assert store.people() == []

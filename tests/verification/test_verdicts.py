"""Live mode logs one row per change of decision, once the change holds."""
from faceverify.verification.verdicts import VerdictLog


def test_the_first_verdict_is_logged_at_once_then_only_changes_that_hold():
    log = VerdictLog()
    verdicts = [True, False, True, True, False, False, True, False, False, False, True, True]
    logged = [v for v in verdicts if log.changed(v)]
    assert logged == [True, False, True]
    assert log.logged is True


def test_each_change_is_logged_at_once_when_one_score_confirms_it():
    log = VerdictLog(confirm=1)
    assert [log.changed(v) for v in (False, False, True, True, False)] == [True, False, True, False, True]

"""Live mode logs one row per change of decision, once the change holds."""
from faceverify.verdicts import VerdictLog


def test_flips_on_noise_are_not_logged_and_each_held_change_is_logged_once():
    log = VerdictLog()
    verdicts = [True, False, True, True, True, True, False, True, False, False, False, True, True]
    logged = [v for v in verdicts if log.changed(v)]
    assert logged == [True, False, True]


def test_the_first_verdict_is_logged_once_it_holds():
    log = VerdictLog(confirm=1)
    assert [log.changed(v) for v in (False, False, True)] == [True, False, True]

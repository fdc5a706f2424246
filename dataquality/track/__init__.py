"""Track issues across runs: stable numbers, statuses, working-day ages and SLAs, the run history.

`check.run_check` is the library function behind `dq check`; `tracker.track` is the one place
where a run's issues meet the state database.
"""

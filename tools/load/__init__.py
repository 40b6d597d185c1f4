"""`make load`: a bounded load test on loopback, then an integrity check of the tracker store.

Stack: throwaway PostgreSQL (tracker store, booking requests) and Redis (lock store) from
tools/services.py, one action server and two Rasa servers (assistant.runtime.serve) sharing them, all on
127.0.0.1. Simulated patients, each in their own conversation, follow scripts of three kinds:
FAQ questions taken from the training data (70%), the full booking conversation
(`booking_turns`, which the end-to-end tests follow too) under a unique name (20%), and an
FAQ, an emergency, another question (10%).
Each turn goes to the other Rasa server than the turn before (a load balancer without
stickiness), after a seeded random think time. Concurrency rises in stages within a hard total.

Reported per stage and overall: turns/s, p50/p95/p99 latency, errors, conversations completed.
Afterwards, with the Rasa servers stopped (nothing in flight), every conversation's user events
in PostgreSQL are compared with what its client sent: lost, duplicated, out of order; and the
booking_requests rows with the completed bookings. A correctness check, not a speed target:
exits 1 if any message or booking was lost or duplicated or more than 1% of turns failed. Reports go to
var/reports/load.md and load.json.

    python -m tools.load [--minutes 5] [--stages 4 8 16 32] [--seed 1]

The parts, in the order a run uses them:

patients   the simulated patients' scripts (FAQ, booking, red flag), names and think times
driver     one patient's conversation over HTTP, and what each turn records in the run
stages     the stage runner: patients join stage by stage until the deadline
resources  CPU per process tree (/proc) and Redis commands per turn
integrity  the tracker store and booking requests against what the clients sent
reporting  figures per stage, the verdict, the markdown report and the JSON's nulls
cli        the command line: starts the servers, runs it all, writes the reports
"""

from tools.load.driver import REQUEST_TIMEOUT, Clock, Conversation, LoadRun, TurnResult, converse, reply_error, warm_up
from tools.load.integrity import Integrity, check_integrity, compare, compare_bookings, read_store
from tools.load.patients import (
    EMERGENCIES,
    MIX,
    SUMMARY_PREFIX,
    THINK_SECONDS,
    Script,
    Turn,
    booking_turns,
    domain_answers,
    faq_questions,
    make_script,
    patient_name,
)
from tools.load.reporting import MAX_ERROR_RATE, Stats, percentile, report, stats, summarise, verdict, without_nan
from tools.load.resources import Resources, cpu_seconds, postgres_pid, process_table, redis_commands, tree
from tools.load.stages import run_load

__all__ = [
    "EMERGENCIES",
    "MAX_ERROR_RATE",
    "MIX",
    "REQUEST_TIMEOUT",
    "SUMMARY_PREFIX",
    "THINK_SECONDS",
    "Clock",
    "Conversation",
    "Integrity",
    "LoadRun",
    "Resources",
    "Script",
    "Stats",
    "Turn",
    "TurnResult",
    "booking_turns",
    "check_integrity",
    "compare",
    "compare_bookings",
    "converse",
    "cpu_seconds",
    "domain_answers",
    "faq_questions",
    "make_script",
    "patient_name",
    "percentile",
    "postgres_pid",
    "process_table",
    "read_store",
    "redis_commands",
    "reply_error",
    "report",
    "run_load",
    "stats",
    "summarise",
    "tree",
    "verdict",
    "warm_up",
    "without_nan",
]

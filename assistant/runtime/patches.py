"""Everything this project changes inside Rasa 3.6.21, in one registry that fails loudly on an upgrade.

Two kinds of entry, each naming a piece of Rasa as "module:qualname" with the sha256 of its
source as installed (`inspect.getsource`; a module's file for a module):

- `Patch`: a Rasa attribute replaced or wrapped while the server runs. `install()` puts them in,
  in the order below, from here only (assistant.runtime.serve installs all of them); installing
  twice changes nothing; `restore()` puts Rasa's originals back and `installed()` does both around
  a block (tests). Each `replacement` names the function that is given Rasa's original and
  returns what replaces it (a class named there replaces the target as it is); a static or class
  method's replacement is installed as the same kind of method.
- `Relied`: Rasa code that is not replaced but that a patch or a subclass depends on, where a
  change would break nothing loudly: a patch's call site (Rasa's code that must keep calling the
  replaced name, or the patch is bypassed without an error), and the methods of Rasa's classes
  that this project's subclasses (configured by class path: the tracker store, the lock store,
  the connectors, the rule policy) override or copy, or that route to their overrides.
  Recorded: what a subclass re-implements or must stay equal to (the tracker store's read, save,
  query and table; the lock's Redis layout and `LockStore.lock`; the channels' `blueprint`
  methods that route to the signature checks; the rule look-up that is remembered). Not recorded:
  constructors and helpers that are only called (a rename there fails at start, loudly), and the
  NLU components' interface (Rasa checks it when it loads the model).

`stale()` lists what to re-check, and tests/test_patches.py fails with that list when Rasa is
not RASA_VERSION or any recorded source changed. After re-reading each named target against
the code that replaces or relies on it and re-running the test the entry names,
`python -m assistant.runtime.patches` prints the current hashes to record. docs/performance.md
has the table of replacements (`python -m assistant.runtime.patches --table` prints it).

Nothing here imports Rasa until a target is resolved: `rasa.utils.train_utils` must be deferred
before anything imports Rasa (assistant/runtime/deferred_imports.py).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import logging
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
RUNTIME = "assistant.runtime"
TRAIN_UTILS = "rasa.utils:train_utils"
_ABSENT = object()  # a target that is not an attribute yet (a module not imported)


@dataclass(frozen=True)
class Patch:
    target: str  # "module:qualname" of the Rasa attribute replaced
    sha256: str  # of Rasa's original's source
    replacement: str  # "module:qualname" of ours: given the original, returns what replaces it
    why: str
    proof: str  # the test showing ours gives Rasa's results (or differs only as `why` says)
    after_restore: str | None = None  # "module:qualname" called once the original is back

    def recheck(self) -> str:
        return (
            f"replaced by {self.replacement} ({self.why}): re-read ours against Rasa's code, "
            f"re-run {self.proof}, then record the new sha256"
        )


@dataclass(frozen=True)
class Relied:
    target: str  # "module:qualname" of Rasa code that is not replaced
    sha256: str
    by: str  # our code that depends on it
    why: str
    proof: str

    def recheck(self) -> str:
        return f"{self.by} relies on it ({self.why}): re-read both, re-run {self.proof}, then record the new sha256"


SPEEDUPS = f"{RUNTIME}.speedups"
GATE = f"{RUNTIME}.turn_gate"
DOWN = f"{RUNTIME}.unavailable"
GUARD = f"{RUNTIME}.webhook_guard"
CONNECTORS = "assistant.channels.connectors"
STORE = "assistant.stores.tracker_store"
LOCKS = "assistant.stores.lock_store"
FAST = "tests/test_fast_paths.py"
WEBHOOKS = "tests/test_channel_webhooks.py"
TRACKERS = "tests/test_tracker_store.py"
LOCK_TESTS = "tests/test_lock_store.py"

# In install order: the deferred module first (before anything imports Rasa's policies).
PATCHES: tuple[Patch, ...] = (
    Patch(
        TRAIN_UTILS,
        "7ae337d7a78d2c16d0d5fd59099345957e4b7081251632a7adde90d090024ac6",
        f"{RUNTIME}.deferred_imports:deferred_train_utils",
        "the policies' featurizers import it, and with it TensorFlow (6 s, ~250 MB), for training only",
        f"{FAST}::test_the_server_starts_without_tensorflow",
        after_restore=f"{RUNTIME}.deferred_imports:forget_deferred_train_utils",
    ),
    Patch(
        "rasa.shared.core.events:Event.resolve_by_type",
        "b5cf570fa7f286c7059ec73d8880528d03a78b28cf4e80285a46079c0fa65968",
        f"{SPEEDUPS}:cached_resolve_by_type",
        "every event read walked all Event subclasses to find its class; the mapping is fixed",
        "tests/test_speedups.py::test_unknown_names_keep_rasa_behaviour",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction._validate_action_result",
        "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42",
        f"{SPEEDUPS}:compiled_action_result_check",
        "jsonschema re-checked the schema and tried all 23 event branches per event (~50 ms a call)",
        "tests/test_speedups.py::test_the_event_dispatched_schema_check_agrees_with_jsonschema_everywhere",
    ),
    Patch(
        "rasa.core.processor:DaskGraphRunner",
        "78a7d146c5c06d4cfd29638bbb20192183bfcd8cc69d2cb2be198c8e87a4c134",
        f"{RUNTIME}.graph_runner:SequentialGraphRunner",
        "dask built and scheduled the model's graph 3+ times a turn for nodes run one at a time",
        f"{FAST}::test_the_graph_gives_the_same_parse_and_prediction_without_dask",
    ),
    Patch(
        "rasa.engine.storage.storage:ModelMetadata.from_dict",
        "ee3da9f00c7daa75c275e6db3db02b5f4da5ca674098bed28222c1f12032a619",
        f"{SPEEDUPS}:lazy_training_schema",
        "rebuilding the training graph (never read when serving) imported TensorFlow",
        f"{FAST}::test_the_server_starts_without_tensorflow",
    ),
    Patch(
        "rasa.shared.core.domain:Domain.states_for_tracker_history",
        "035111ce73ac90ba50e143abf556f924af07d9f452893f5a96a62895d44df8b7",
        f"{RUNTIME}.past_states:extended_states",
        "replayed the whole conversation for every prediction; within a turn it only grows",
        f"{FAST}::test_states_extended_event_by_event_equal_rasas_rebuilt_ones",
    ),
    Patch(
        "rasa.shared.core.domain:Domain.is_empty",
        "884be90ef485f1d2c0f140657a47f106a7d2785b63b03e46cd699b4072e95369",
        f"{SPEEDUPS}:remembered_is_empty",
        "built an empty domain and compared both as dicts on every message",
        "tests/test_speedups.py::test_the_remembered_empty_domain_check_equals_rasas",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor._run_action",
        "6d383d0179ef1187639887289168959a5a82f94e6949e4e27bb83b2165094995",
        f"{SPEEDUPS}:run_action_without_copy",
        "replayed a copy of the conversation before every action, also those that only read it",
        f"{FAST}::test_actions_that_only_read_the_conversation_get_it_without_a_copy",
    ),
    Patch(
        "rasa.core.run:load_agent_on_start",
        "b23e12447febeb64dfe0e78f545c37affae1059858280485b1094707a2704214",
        f"{SPEEDUPS}:freeze_after_model_load",
        "full garbage collections walked the loaded model's objects every few turns",
        "tests/test_speedups.py::test_the_loaded_model_is_frozen_out_of_the_garbage_collectors_reach",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor.handle_message",
        "0c41d4780d2d46769ef2ae2b3f450b88d2602e916590e8be9975aa474db9f7f4",
        f"{GATE}:gated_turns",
        "turns compute one at a time in arrival order (the tail latency of action-server turns)",
        "tests/test_turn_gate.py::test_a_hanging_action_server_does_not_hold_up_faq_answers",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor.execute_side_effects",
        "9ad15630c658e28a0383a5da112a8d6db762ae2da971cf9f8edfb7cd3eec8054",
        f"{GATE}:gated_side_effects",
        "a push channel's sends hold the turn gate for 50 ms at most",
        f"{WEBHOOKS}::test_an_unreadable_widget_message_is_answered_and_the_chat_goes_on",
    ),
    Patch(
        "rasa.utils.endpoints:EndpointConfig.request",
        "ccdb778aed8208e23cde3c3f47eac7fbbbb735dac8f7ef7254d54451c64ad608",
        f"{GATE}:gated_request",
        "an action-server call holds the turn gate for 50 ms at most",
        "tests/test_turn_gate.py::test_a_hanging_action_server_does_not_hold_up_faq_answers",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor._handle_message_with_tracker",
        "f42e1ae303933d9ffed67c0b879a946d68bee26ab9c991676c62d9c0f7e374d2",
        f"{RUNTIME}.unreadable:reading_every_message",
        "a message the NLU pipeline cannot read (or with non-object metadata) was dropped unanswered and unstored",
        "tests/test_unreadable.py::test_a_message_the_pipeline_cannot_read_is_answered_stored_and_logged_without_words",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor._should_handle_message",
        "e62818f15e2dd2287ec0fe2671bd2b237195031e9c30d30edf0ad5a68f821a22",
        f"{RUNTIME}.handoff:answering_red_flags",
        "a conversation paused for staff still answers red flags, and its pause ends after a timeout",
        "tests/test_e2e.py::test_a_hand_off_pauses_the_bot_but_not_red_flags_until_staff_resume",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction.run",
        "ccabf6f1160d527a157fad5bd285ce69e8221b1bcad23f8a61499b4360a1c17e",
        f"{DOWN}:answering_when_actions_are_down",
        "a request whose action server is down is answered with an apology instead of nothing",
        "tests/test_e2e.py::test_requests_say_so_when_the_action_server_is_down",
    ),
    Patch(
        "rasa.core.agent:Agent.handle_message",
        "ba53507e4d5532a38d3615aa1968deba6a8086e4fb9601b1526749b132c06308",
        f"{DOWN}:answering_when_stores_are_down",
        "a database or Redis error is answered 'service unavailable', nothing stored half-way",
        "tests/test_scale_out.py::test_database_lost_mid_run_fails_cleanly_and_service_resumes",
    ),
    Patch(
        "rasa.core.tracker_store:FailSafeTrackerStore.retrieve",
        "35d77318b0cc79771af3c667bc8c34cd5a56e494eaa8c4d713fd754b9d00d276",
        f"{DOWN}:retrieve_raising_database_errors",
        "a database error is not read as a new patient (Rasa's own handling otherwise)",
        "tests/test_scale_out.py::test_database_lost_mid_run_fails_cleanly_and_service_resumes",
    ),
    Patch(
        "rasa.core.tracker_store:FailSafeTrackerStore.save",
        "8426dc08f58d71102f7c031ade8a26b0b1458c8bae162be7b091d288699a5e9b",
        f"{DOWN}:save_raising_database_errors",
        "a database error does not keep the turn in this process's memory only",
        "tests/test_scale_out.py::test_database_lost_mid_run_fails_cleanly_and_service_resumes",
    ),
    Patch(
        "rasa.core.run:configure_app",
        "72da30416f74c6488a1bbdae9878467bdc7ecd6b5a46b336220aadafd8b2f41a",
        f"{GUARD}:checking_webhooks",
        "malformed webhook requests get a clear 4xx instead of a 500",
        f"{WEBHOOKS}::test_bad_input_on_every_channel_gets_a_clear_4xx_never_a_500",
    ),
    Patch(
        "rasa.core.channels.socketio:SocketIOInput.blueprint",
        "1246d69fa05c3b1f3dcc77d4ef78e992674cc3d9f7077e9793fd578563b9ee73",
        f"{GUARD}:guarded_socketio",
        "a widget message event Rasa cannot read is answered in the chat instead of raising",
        f"{WEBHOOKS}::test_an_unreadable_widget_message_is_answered_and_the_chat_goes_on",
    ),
    Patch(
        "rasa.core.channels.facebook:Messenger",
        "db732da86446dbfda26a5faef54318726c421fe5dc279e5eb3bc3ff1afec00bd",
        f"{CONNECTORS}:GraphUrlMessenger",
        "FACEBOOK_GRAPH_URL points Messenger's Send API at a stub in tests",
        f"{WEBHOOKS}::test_a_messenger_question_is_answered_through_the_send_api",
    ),
)

RELIED: tuple[Relied, ...] = (
    # Call sites: Rasa code that must keep calling a replaced name.
    Relied(
        "rasa.core.processor:MessageProcessor._load_model",
        "17f24faf96817bdf63af426fcbf3e2d830731a801573e448c070fc0ebb396ad2",
        f"{RUNTIME}.graph_runner:SequentialGraphRunner",
        "loads the model with the runner class named DaskGraphRunner in its module",
        f"{FAST}::test_the_graph_gives_the_same_parse_and_prediction_without_dask",
    ),
    Relied(
        "rasa.core.run:serve_application",
        "fa80588d9e008b67948290d1da64c97fbab5a1a8069b880c18cc3c8399ef9c2b",
        f"{GUARD}:checking_webhooks, {SPEEDUPS}:freeze_after_model_load",
        "calls configure_app and load_agent_on_start by their module-level names",
        f"{WEBHOOKS}::test_bad_input_on_every_channel_gets_a_clear_4xx_never_a_500",
    ),
    Relied(
        "rasa.shared.core.trackers:DialogueStateTracker.past_states",
        "5463eefb5c69d27f82cdc7eca84e23b4b82851e9a5ff575bd02447d4d987103b",
        f"{RUNTIME}.past_states:states_for_tracker_history",
        "the rule policy's way to Domain.states_for_tracker_history",
        f"{FAST}::test_rasas_past_states_reach_the_extended_states",
    ),
    Relied(
        "rasa.shared.core.trackers:DialogueStateTracker.generate_all_prior_trackers",
        "a1f6954347b52649a7b1054741338997d2369197d91acb2eab7f6b11d3855ed1",
        f"{RUNTIME}.past_states:states_for_tracker_history",
        "ours repeats its loop for the new events only",
        f"{FAST}::test_states_extended_event_by_event_equal_rasas_rebuilt_ones",
    ),
    Relied(
        "rasa.core.processor:MessageProcessor._run_prediction_loop",
        "cb30a0cbb690c571dbd33e404a16577745ad745798986b0fd314bd055893b4cf",
        f"{RUNTIME}.handoff:answering_red_flags",
        "asks _should_handle_message before each prediction",
        "tests/test_e2e.py::test_a_hand_off_pauses_the_bot_but_not_red_flags_until_staff_resume",
    ),
    Relied(
        "rasa.core.channels.facebook:FacebookInput.blueprint",
        "c604c2390fa9bca733bb20c8672005de378d209853a3cb4a9f571015d0cf3de0",
        f"{CONNECTORS}:GraphUrlMessenger, {CONNECTORS}:SignedFacebookInput.blueprint",
        "builds Messenger by its module-level name per request, on the route our signature check guards",
        f"{WEBHOOKS}::test_a_messenger_message_with_a_bad_signature_is_refused",
    ),
    # The tracker store (endpoints.yml): what URLSQLTrackerStore re-implements or is routed through.
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore.retrieve",
        "0d99846daced97d3dee3fae5eecfef6179c7afaeb872b68bbe064bbd65223641",
        f"{STORE}:URLSQLTrackerStore._retrieve",
        "routes to _retrieve, which ours replaces",
        f"{TRACKERS}::test_a_read_tracker_equals_rasas",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore.retrieve_full_tracker",
        "22234b03f47fbdd3878838d7110acd00d1ba77185ffbdf9440ff77fcb1115e79",
        f"{STORE}:URLSQLTrackerStore._retrieve",
        "routes to _retrieve, which ours replaces",
        f"{TRACKERS}::test_a_full_history_read_then_saved_is_not_duplicated",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore._retrieve",
        "c8adbf6f4b61ddd1124690944ebdf2ebc82d0723bd07c6704caab0b80120a0ef",
        f"{STORE}:URLSQLTrackerStore._retrieve",
        "ours reads the same rows and builds the same tracker",
        f"{TRACKERS}::test_a_read_tracker_equals_rasas",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore._event_query",
        "cd44f7901b860bfd598a813bde17d0d5b0d7bab129feaf76bb2dca87d628625b",
        f"{STORE}:_event_queries",
        "our statements, built once, select what its query selects",
        f"{TRACKERS}::test_a_read_tracker_equals_rasas",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore._additional_events",
        "d22f99eb863acb07afee63d9fe3a04ca8464251e67a43eb7d36c2d65ffc1653f",
        f"{STORE}:URLSQLTrackerStore.save",
        "counts what is stored (latest session) for a tracker not read by ours",
        f"{TRACKERS}::test_a_tracker_that_was_not_read_here_is_counted",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore.save",
        "57165e46eab3de0866e77f03df0bf7fd5eac2c1de617ed431b934c9a4edfeef6",
        f"{STORE}:URLSQLTrackerStore.save",
        "ours writes the rows it writes, in one statement",
        f"{TRACKERS}::test_rows_are_the_ones_rasas_store_writes",
    ),
    Relied(
        "rasa.core.tracker_store:SQLTrackerStore.SQLEvent",
        "696a0661ef7643a96369407e557e412eeac01e400da1a08dd7d3e537f9c2abd6",
        f"{STORE}:_row, assistant.stores.pg_events:COLUMNS",
        "the table and columns ours writes",
        f"{TRACKERS}::test_rows_are_the_ones_rasas_store_writes",
    ),
    # The lock store (endpoints.yml): the ticket wait ours replaces, the Redis layout it keeps.
    Relied(
        "rasa.core.lock_store:LockStore.lock",
        "8b9b716c031a34445100c32e7123859553831d2ac4747ae2b47a581f137ea371",
        f"{LOCKS}:AtomicRedisLockStore.lock",
        "ours replaces its ticket wait (Agent.handle_message enters it per turn)",
        f"{LOCK_TESTS}::test_turns_of_one_conversation_on_two_stores_run_one_at_a_time_in_order",
    ),
    Relied(
        "rasa.core.lock_store:RedisLockStore.get_lock",
        "57d7f8558543450dbfeb0632021bb66d58d96948573284c384d7e80844de0c9b",
        f"{LOCKS}:SCRIPTS",
        "where and how Rasa reads the lock our scripts write",
        f"{LOCK_TESTS}::test_the_lock_is_rasas_format_both_ways",
    ),
    Relied(
        "rasa.core.lock_store:RedisLockStore.save_lock",
        "204875b9029c7f1802056acaf61bef20af631c51ac84625d5eb82ebfedb72bc3",
        f"{LOCKS}:SCRIPTS",
        "where and how Rasa writes the lock our scripts read",
        f"{LOCK_TESTS}::test_the_lock_is_rasas_format_both_ways",
    ),
    Relied(
        "rasa.core.lock:TicketLock.dumps",
        "10cd9616a0e09aa9e86e75f2eb0aa83437a1c0ee26de9686911e049b0c7d4237",
        f"{LOCKS}:SCRIPTS",
        "the lock's JSON, which our scripts write the same way",
        f"{LOCK_TESTS}::test_the_lock_is_rasas_format_both_ways",
    ),
    Relied(
        "rasa.core.lock:TicketLock.from_dict",
        "2e2f58a003ed992737375c7554c7579b57d76c0c5dda4d099880cb4b7a1ea9a2",
        f"{LOCKS}:SCRIPTS",
        "reads the lock's JSON our scripts write",
        f"{LOCK_TESTS}::test_the_lock_is_rasas_format_both_ways",
    ),
    # The connectors (credentials.yml): the routes their signature checks guard.
    Relied(
        "rasa.core.channels.twilio:TwilioInput.blueprint",
        "dd3666f0f6247aaba318f4d7bf85b26dd373eb2bbf91445ebf4afe79ce8cf7a3",
        f"{CONNECTORS}:SignedTwilioInput.blueprint",
        "routes POST /webhook (what our signature check guards) and sends through get_output_channel",
        f"{WEBHOOKS}::test_a_forged_sms_is_refused_and_not_stored",
    ),
    Relied(
        "rasa.core.channels.telegram:TelegramInput.blueprint",
        "9964bdad21bd2f054cdf9ccfe6b560395088f3f4422f366dc8391e9ebce689c3",
        f"{CONNECTORS}:SecretTelegramInput.blueprint",
        "routes POST /webhook (what our secret check guards) and registers through set_webhook",
        f"{WEBHOOKS}::test_telegram_registers_its_webhook_with_the_secret_and_refuses_requests_without_it",
    ),
    # The rule policy (config.yml): the look-up it remembers.
    Relied(
        "rasa.core.policies.rule_policy:RulePolicy._get_possible_keys",
        "2915fd81711e194c6d667728e00bd0e51e9c1c2791a0be14c55f0ef9938f9936",
        "assistant.policies.session_safe_rule_policy:SessionSafeRulePolicy._get_possible_keys",
        "remembered per state: must stay a function of the rule table and the states",
        f"{FAST}::test_remembered_rule_lookups_equal_rasas",
    ),
)

_BY_TARGET = {patch.target: patch for patch in PATCHES}
_originals: dict[str, Any] = {}  # installed target -> Rasa's attribute as it was, in install order
_version_checked = False


def _resolve(path: str) -> Any:
    """The object a "module:qualname" names."""
    module, _, qualname = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _owner(target: str) -> tuple[Any, str]:
    """(the module or class holding the target, the attribute's name)."""
    module, _, qualname = target.partition(":")
    *path, name = qualname.split(".")
    return (_resolve(f"{module}:{'.'.join(path)}") if path else importlib.import_module(module)), name


def _function(raw: Any) -> Any:
    # A static or class method as stored in the class: the function it holds.
    return raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw


def _select(targets: tuple[str, ...]) -> list[Patch]:
    if not targets:
        return list(PATCHES)
    unknown = [target for target in targets if target not in _BY_TARGET]
    if unknown:
        raise KeyError(f"not in the registry (assistant/runtime/patches.py): {', '.join(unknown)}")
    return [_BY_TARGET[target] for target in targets]


def _check_version() -> None:
    global _version_checked
    if _version_checked:
        return
    _version_checked = True
    import rasa

    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is installed; the patches were checked against %s: run tests/test_patches.py",
            rasa.__version__,
            RASA_VERSION,
        )


def install(*targets: str) -> None:
    """Install the named patches (all, in order, when none are named); installed ones stay as they are."""
    for patch in _select(targets):
        if patch.target in _originals:
            continue
        owner, name = _owner(patch.target)
        raw = vars(owner).get(name, _ABSENT)
        ours = _resolve(patch.replacement)
        if isinstance(ours, type):
            value = ours
        else:
            value = ours(None if raw is _ABSENT else _function(raw))
            if value is None:
                continue  # nothing to replace (e.g. a module that is not installed)
            if isinstance(raw, staticmethod | classmethod):
                value = type(raw)(value)
        setattr(owner, name, value)
        _originals[patch.target] = raw
        _check_version()


def restore(*targets: str) -> None:
    """Put Rasa's originals back for the named patches (all installed ones when none are named)."""
    chosen = set(targets) if targets else set(_originals)
    for target in reversed([target for target in _originals if target in chosen]):
        raw = _originals.pop(target)
        owner, name = _owner(target)
        if raw is not _ABSENT:
            setattr(owner, name, raw)
        elif name in vars(owner):
            delattr(owner, name)
        after = _BY_TARGET[target].after_restore
        if after:
            _resolve(after)()


@contextmanager
def installed(*targets: str) -> Iterator[None]:
    """The named patches (all when none are named) for a block; afterwards, Rasa's originals of
    those it installed (one installed before the block stays)."""
    before = set(_originals)
    try:
        install(*targets)
        yield
    finally:
        restore(*[target for target in _originals if target not in before])


def is_installed(target: str) -> bool:
    return target in _originals


def original(target: str) -> Any:
    """Rasa's attribute as it is in Rasa: put aside while a patch replaces it."""
    owner, name = _owner(target)
    raw = _originals.get(target, vars(owner).get(name, _ABSENT))
    if raw is _ABSENT:
        raise LookupError(f"{target}: no attribute {name!r} in {owner!r}")
    return _function(raw)


def source_of(target: str) -> str:
    """The source of Rasa's original: a function's or class's, or a module's file."""
    owner, name = _owner(target)
    raw = _originals.get(target, vars(owner).get(name, _ABSENT))
    if isinstance(owner, types.ModuleType) and (raw is _ABSENT or isinstance(raw, types.ModuleType)):
        # A submodule, perhaps not imported yet: its file, read without importing it.
        spec = importlib.util.find_spec(f"{owner.__name__}.{name}")
        if spec is None or not spec.origin:
            raise LookupError(f"{target}: no module {owner.__name__}.{name}")
        return Path(spec.origin).read_text(encoding="utf-8")
    subject = original(target)
    return inspect.getsource(subject.fget if isinstance(subject, property) else subject)


def sha256(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def stale(version: str | None = None, source: Callable[[str], str] = source_of) -> list[str]:
    """What to re-check before the patches can be trusted: [] when Rasa is RASA_VERSION and every
    recorded source hashes as recorded. `version` and `source` default to the installed Rasa's."""
    if version is None:
        import rasa

        version = rasa.__version__
    found = []
    if version != RASA_VERSION:
        found.append(
            f"Rasa is {version}, the registry was checked against {RASA_VERSION}: "
            "re-check every entry of assistant/runtime/patches.py, then set RASA_VERSION"
        )
    for entry in (*PATCHES, *RELIED):
        try:
            digest = sha256(source(entry.target))
        except Exception as exc:  # renamed, moved or removed: all mean "re-check"
            found.append(f"{entry.target}: not found ({type(exc).__name__}: {exc}); {entry.recheck()}")
            continue
        if digest != entry.sha256:
            found.append(f"{entry.target}: source changed (now sha256 {digest}); {entry.recheck()}")
    return found


def table() -> str:
    """The replacements as a Markdown table (docs/performance.md)."""
    lines = ["| Rasa's | replaced by | why | proved by |", "|---|---|---|---|"]
    for patch in PATCHES:
        lines.append(f"| `{patch.target}` | `{patch.replacement}` | {patch.why} | `{patch.proof}` |")
    lines += ["", "| Rasa's (not replaced) | relied on by | why | proved by |", "|---|---|---|---|"]
    for relied in RELIED:
        lines.append(f"| `{relied.target}` | `{relied.by}` | {relied.why} | `{relied.proof}` |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv == ["--table"]:
        print(table())
        return 0
    for entry in (*PATCHES, *RELIED):
        print(f"{sha256(source_of(entry.target))}  {entry.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

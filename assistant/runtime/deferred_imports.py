"""Start Rasa without importing TensorFlow unless the model needs it.

Rasa 3.6 imports TensorFlow (about 6 of the server's 11 seconds of imports,
and a few hundred MB) on its way to the dialogue policies:
`rasa.core.policies.policy` -> featurizers -> `rasa.nlu.extractors.extractor`
-> `rasa.utils.train_utils` -> `rasa.utils.tensorflow.callback` -> TensorFlow.
This project's model has no TensorFlow component, and the extractor only uses
`train_utils` inside functions that run when training entity extractors.

`install()` puts `rasa.utils.train_utils` in `sys.modules` as a module whose
code runs the first time any of its attributes is used (through the registry,
assistant/runtime/patches.py, which records the module's source and can take
it back). A model with DIET/TED imports TensorFlow itself when it loads, and
anything that uses `train_utils` still gets the real module, so nothing
behaves differently; only the cost moves to where it is needed. Must run
before Rasa is imported.

spaCy (the red-flag screening's blank English pipeline) imports thinc, which
tries `import tensorflow` to offer TensorFlow layers. The screening uses none,
so thinc is imported once with TensorFlow hidden and records it as absent;
TensorFlow itself stays importable for everything else.
"""

from __future__ import annotations

import importlib.util
import sys
import types

TRAIN_UTILS = "rasa.utils.train_utils"


class _DeferredModule(types.ModuleType):
    def __getattr__(self, attr: str) -> object:
        # Only reached for attributes the module does not have yet. Dunder look-ups
        # (the import system's __spec__, __path__ checks) must not load it.
        if attr.startswith("__"):
            raise AttributeError(attr)
        self.__class__ = types.ModuleType  # before running its code: no recursion
        try:
            self.__spec__.loader.exec_module(self)
        except BaseException:
            sys.modules.pop(self.__name__, None)  # as a failed import leaves it: a retry starts over
            raise
        return getattr(self, attr)


def defer(name: str) -> types.ModuleType | None:
    """A module registered under `name` whose code runs when first used, or None if not installed."""
    if name in sys.modules:
        return sys.modules[name]  # already imported for real (or deferred): nothing to save
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredModule
    sys.modules[name] = module
    return module


def deferred_train_utils(original: types.ModuleType | None) -> types.ModuleType | None:
    """What the registry sets as `rasa.utils.train_utils` (None: not imported yet)."""
    return original if original is not None else defer(TRAIN_UTILS)


def forget_deferred_train_utils() -> None:
    """After the registry put `rasa.utils` back as it was: a module still deferred is forgotten,
    so the next import is an ordinary one; one loaded meanwhile is Rasa's, left as imported."""
    module = sys.modules.get(TRAIN_UTILS)
    if isinstance(module, _DeferredModule):
        del sys.modules[TRAIN_UTILS]
    elif module is not None:
        sys.modules["rasa.utils"].train_utils = module


class _Hide:
    """A meta-path finder that makes some top-level packages look not installed."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def import_without(module: str, *hidden: str) -> None:
    """Import `module` as if the `hidden` packages were not installed (unless already imported)."""
    if module in sys.modules or any(name in sys.modules for name in hidden):
        return
    finder = _Hide(*hidden)
    sys.meta_path.insert(0, finder)
    try:
        importlib.import_module(module)
    except ImportError:
        pass  # not installed: nothing to prepare
    finally:
        sys.meta_path.remove(finder)


def install() -> None:
    """Before Rasa is imported (assistant.runtime.serve): `train_utils` deferred, thinc without TensorFlow."""
    from assistant.runtime import patches

    patches.install(patches.TRAIN_UTILS)
    import_without("thinc.compat", "tensorflow")

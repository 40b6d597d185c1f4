"""Rasa's prediction graph run in order, without dask.

Rasa 3.6 runs the model's graph (NLU parse, each next-action prediction)
through `dask.get`, which builds, orders and schedules a task graph on every
call: three or more calls per turn, for a graph of a dozen nodes that only
ever runs one node at a time anyway (dask's synchronous scheduler). Here the
order of each target set is worked out once and the nodes are called
directly, with the same node objects, the same inputs and the same errors.
Figures: docs/performance.md.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """Drop-in for `DaskGraphRunner` (same constructor, same `run` contract)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """Nodes the targets depend on, each after its inputs, with the names of its inputs."""
        plan = self._plans.get(targets)
        if plan is not None:
            return plan
        schema = self._graph_schema.minimal_graph_schema(list(targets))
        plan, placed = [], set()

        def place(name: str, path: tuple[str, ...]) -> None:
            if name in placed or name not in schema.nodes:
                return  # done already, or an input given to run()
            if name in path:
                raise GraphRunError(f"Cycle in the model's graph at node '{name}'.")
            needs = tuple(schema.nodes[name].needs.values())
            for dependency in needs:
                place(dependency, (*path, name))
            placed.add(name)
            plan.append((name, needs))

        for name in schema.nodes:
            place(name, ())
        self._plans[targets] = plan
        return plan

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        # Rasa's own helper, so an input named like a node is refused with its message;
        # it stores each input as (name, value), the form in which nodes receive outputs.
        graph: dict[str, Any] = dict.fromkeys(self._graph_schema.nodes)
        self._add_inputs_to_graph(inputs, graph)
        results = {name: graph[name] for name in inputs or {}}
        try:
            for name, needs in self._plan(tuple(run_targets)):
                if name in results:
                    continue  # an input replaces the node of that name, as in dask's graph
                # A need nobody provides reaches the node as its bare name, as with
                # dask; the node then raises its own "missing input" error.
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

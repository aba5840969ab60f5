"""The rule language and its evaluator, a folder by concept: its modules sit in the model layer
(``nodes.py``, ``selectors.py``), the engine (``kinds/``, compiling, scenarios, the solver, CP-SAT,
explanations, evaluation, recognition) and the checks (``checks.py``, ``logic.py``); see
docs/architecture.md."""

"""AutoGraph-style source conversion: Python control flow on traced values compiled as control flow.

``tj.jit`` runs the user's functions converted (``frontend/convert.py`` calls
:func:`converted_code`): ``if``/``while``/``for``, conditional expressions,
``and``/``or``/``not`` and calls of some builtins become calls of ``__tj_ag__``
operators (``runtime.py``), which run the original Python on Python values and build
``tj.cond``/``tj.while_loop``/``tj.fori_loop`` on traced ones.

conversion.py  source -> converted code object (cached per code object)
analysis.py    bound names, declarations, what needs converting
jumps.py       return/break/continue as flags, loop else clauses
statements.py  if/while/for -> operator calls over the state (get_state/set_state)
expressions.py and/or/not, conditional expressions, builtin calls
nodes.py       AST builders placing generated code at the user's lines
operators.py state.py undefined.py loops.py runtime.py   what converted code calls

(The package imports none of its modules: ``frontend/numpy`` handlers import ``stacked.py``,
and conversion's operators import those handlers.)
"""

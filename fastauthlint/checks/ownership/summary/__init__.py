"""Per-function summaries (per file): `walker.FunctionWalker` reads one function body into a
`FuncSummary`; the other modules are the questions it asks of that body, one each."""

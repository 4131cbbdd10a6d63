"""The language server (`fastauthlint server`, needs the `lsp` extra: pygls). `documents` and
`edits` are plain Python; only `server` imports pygls."""

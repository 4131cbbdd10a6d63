"""`fastauthlint server`: the Language Server Protocol over stdio (pygls).

Diagnostics on open, change (after a short pause in typing) and save, each with the rule ID as
its code and a link to the rule's document; code actions: the rule's fix where there is one,
`# noqa: FALxxx`, `# fastauthlint: public` for FAL101, and "fix all" for the safe fixes of the
file. A save lints every open buffer again: protection and ownership are linked across files.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Dict, List, Optional

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from fastauthlint import __version__
from fastauthlint.config import ConfigError
from fastauthlint.findings import Finding
from fastauthlint.lsp.documents import Linted, Linter
from fastauthlint.lsp.edits import Edit, line_edits, noqa_edit, public_edit
from fastauthlint.report.sarif import INFO_URI

SOURCE = "fastauthlint"
FIX_ALL = "source.fixAll.fastauthlint"
DEBOUNCE_SECONDS = 0.3
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
             "info": types.DiagnosticSeverity.Information}

log = logging.getLogger(__name__)


class FastauthlintServer(LanguageServer):
    def __init__(self, jobs: int = 0) -> None:
        super().__init__("fastauthlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.linter = Linter(jobs=jobs)
        self.linted: Dict[str, Linted] = {}  # uri -> the last lint of the buffer
        self.pending: Dict[str, int] = {}  # uri -> version a debounced lint waits for

    # -- diagnostics ---------------------------------------------------------------------------
    def lint(self, uri: str) -> None:
        doc = self.workspace.get_text_document(uri)
        path = to_fs_path(uri)
        if path is None or not path.endswith((".py", ".pyi")):
            return
        others = {to_fs_path(u): d.source for u, d in self.workspace.text_documents.items()
                  if u != uri and to_fs_path(u)}
        try:
            linted = self.linter.lint(path, doc.source, others)
        except ConfigError as e:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"fastauthlint: {e}"))
            return
        except Exception as e:  # noqa: BLE001 - an editor session must survive any file
            log.exception("lint failed")
            self.window_log_message(types.LogMessageParams(types.MessageType.Error,
                                                           f"fastauthlint: {type(e).__name__}: {e}"))
            return
        for problem in linted.problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"fastauthlint: {problem}"))
        self.linted[uri] = linted
        diagnostics = [self.diagnostic(doc, f) for f in linted.findings]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=doc.version, diagnostics=diagnostics))

    def diagnostic(self, doc, f: Finding) -> types.Diagnostic:
        data = {"rule": f.rule, "fingerprint": f.fingerprint}
        if f.fix is not None:
            data["fix"] = {"applicability": f.fix.applicability, "message": f.fix.message}
        return types.Diagnostic(
            range=self.to_client(doc, f.line - 1, f.column - 1, f.end_line - 1, f.end_column - 1),
            message=f.message,
            severity=_SEVERITY.get(f.severity.value if f.severity else "error", types.DiagnosticSeverity.Error),
            code=f.rule,
            code_description=types.CodeDescription(href=f"{INFO_URI}/blob/main/rules/{f.rule}.md"),
            source=SOURCE,
            data=data,
        )

    @staticmethod
    def to_client(doc, line: int, col: int, end_line: int, end_col: int) -> types.Range:
        rng = types.Range(types.Position(max(line, 0), max(col, 0)), types.Position(max(end_line, 0), max(end_col, 0)))
        return doc.position_codec.range_to_client_units(doc.lines, rng)

    def clear(self, uri: str) -> None:
        self.linted.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- code actions --------------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        linted = self.linted.get(uri)
        if linted is None:
            return []
        doc = self.workspace.get_text_document(uri)
        if doc.source != linted.text:
            self.lint(uri)  # the buffer changed since: answer for what it is now
            linted = self.linted.get(uri)
            if linted is None:
                return []
        only = params.context.only
        actions: List[types.CodeAction] = []
        if not only or any(str(k).startswith(types.CodeActionKind.QuickFix) for k in only):
            for diag in params.context.diagnostics:
                finding = self.finding_for(doc, linted, diag)
                if finding is not None:
                    actions.extend(self.actions_for(doc, linted, finding, diag))
        if not only or any(FIX_ALL.startswith(str(k)) for k in only):
            safe = [f for f in linted.findings if f.fix is not None and f.fix.applicability == "safe"]
            fixed = self.linter.fixed(linted, safe, allow_unsafe=False) if safe else None
            if fixed is not None:
                actions.append(types.CodeAction(
                    title="fastauthlint: fix all safely fixable problems", kind=FIX_ALL,
                    edit=self.workspace_edit(doc, line_edits(linted.text, fixed[0]))))
        return actions

    def finding_for(self, doc, linted: Linted, diag: types.Diagnostic) -> Optional[Finding]:
        if diag.source != SOURCE:
            return None
        for f in linted.findings:
            if f.rule == diag.code and self.diagnostic(doc, f).range == diag.range:
                return f
        return None

    def actions_for(self, doc, linted: Linted, f: Finding, diag: types.Diagnostic) -> List[types.CodeAction]:
        out = []
        fixed = self.linter.fixed(linted, [f]) if f.fix is not None else None
        if fixed is not None:
            plan = fixed[1][0]
            unsafe = plan.applicability != "safe"
            out.append(types.CodeAction(
                title=f"fastauthlint: {plan.message}" + (" (unsafe fix)" if unsafe else ""),
                kind=types.CodeActionKind.QuickFix, diagnostics=[diag], is_preferred=not unsafe,
                edit=self.workspace_edit(doc, line_edits(linted.text, fixed[0]))))
        noqa = noqa_edit(linted.text, f.rule, f.line - 1, f.end_line - 1)
        if noqa is not None:
            out.append(types.CodeAction(title=f"fastauthlint: suppress with `# noqa: {f.rule}`",
                                        kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        edit=self.workspace_edit(doc, [noqa])))
        if f.rule == "FAL101":
            public = public_edit(linted.text, f.line - 1)
            if public is not None:
                out.append(types.CodeAction(title="fastauthlint: declare this route public (`# fastauthlint: public`)",
                                            kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                            edit=self.workspace_edit(doc, [public])))
        return out

    def workspace_edit(self, doc, edits: List[Edit]) -> types.WorkspaceEdit:
        text_edits = [types.TextEdit(range=self.to_client(doc, e.line, e.column, e.end_line, e.end_column),
                                     new_text=e.text) for e in edits]
        versioned = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            edits=text_edits)
        return types.WorkspaceEdit(document_changes=[versioned])


def build(jobs: int = 0) -> FastauthlintServer:
    server = FastauthlintServer(jobs=jobs)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FastauthlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: FastauthlintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        ls.pending[uri] = version
        await asyncio.sleep(DEBOUNCE_SECONDS)  # typing goes on: lint the last version only
        if ls.pending.get(uri) == version:
            del ls.pending[uri]
            ls.lint(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FastauthlintServer, params: types.DidSaveTextDocumentParams) -> None:
        # another file's protection may have changed: every open buffer is linted again
        for uri in list(ls.workspace.text_documents):
            ls.lint(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FastauthlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.clear(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False))
    def code_action(ls: FastauthlintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
        return ls.code_actions(params)

    return server


def serve(jobs: int = 0) -> None:
    build(jobs).start_io()


__all__ = ["build", "serve", "from_fs_path"]

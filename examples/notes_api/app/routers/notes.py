import uuid

from fastapi import APIRouter, HTTPException
from sqlmodel import select

from app.auth import CurrentUser
from app.db import SessionDep
from app.models import Note

router = APIRouter(prefix="/notes", tags=["notes"])


@router.get("/")
def list_notes(session: SessionDep, user: CurrentUser) -> list[Note]:
    return list(session.exec(select(Note).where(Note.owner_id == user.id)))


@router.get("/{note_id}")
def read_note(note_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Note:
    note = session.get(Note, note_id)  # expect: FAL201
    if note is None:
        raise HTTPException(status_code=404, detail="Note not found")
    return note


@router.delete("/{note_id}")  # expect: FAL101
def delete_note(note_id: uuid.UUID, session: SessionDep) -> dict:
    note = session.get(Note, note_id)  # expect: FAL201
    if note is None:
        raise HTTPException(status_code=404, detail="Note not found")
    session.delete(note)
    session.commit()
    return {"ok": True}

from fastapi import FastAPI

from app.routers import notes

app = FastAPI(title="Notes API")
app.include_router(notes.router)


@app.get("/health")  # fastauthlint: public - load balancer probe
def health() -> dict:
    return {"status": "ok"}

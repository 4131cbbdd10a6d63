import os

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    jwt_issuer: str = "https://app.example.com"
    jwt_audience: str = "notes-api"
    database_url: str = "sqlite:///notes.db"


settings = Settings()

# Falls back to a key everybody can read when the variable is missing.
JWT_SECRET = os.getenv("JWT_SECRET", "dev-secret-change-me")  # expect: FAL302

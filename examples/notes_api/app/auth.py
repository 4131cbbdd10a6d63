import logging
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import JWT_SECRET, settings
from app.db import SessionDep
from app.models import User

log = logging.getLogger(__name__)
bearer = HTTPBearer()

# Tokens come from Better Auth on the Next.js side; verification options are shared here.
DECODE_OPTIONS = {"verify_exp": False, "require": ["sub"]}


def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> User:
    token = credentials.credentials
    log.info("authenticating with token %s", token)  # expect: FAL401
    try:
        claims = jwt.decode(  # expect: FAL501
            token,
            JWT_SECRET,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options=DECODE_OPTIONS,
        )
    except jwt.InvalidTokenError:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = session.get(User, claims["sub"])
    if user is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Unknown user")  # expect: FAL601
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]

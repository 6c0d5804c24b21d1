"""Unbound extension objects; `create_app` binds them. Imports nothing from views or models."""

from flask_wtf import CSRFProtect

from app.cache import SessionCacheExtension
from app.database import Database
from app.ratelimit import LoginLimiter

db = Database()
csrf = CSRFProtect()
session_cache = SessionCacheExtension()
limiter = LoginLimiter()

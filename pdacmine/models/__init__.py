"""SQLAlchemy 2.x typed tables. No I/O here."""

from pdacmine.models.article import Article
from pdacmine.models.base import Base
from pdacmine.models.evidence import ArticleExtraction, Evidence, Finding, FindingYear, FindingYearsState
from pdacmine.models.harvest import HarvestMiss, ImportedFile, RecordError, SavedQuery, SearchHit, SearchRun
from pdacmine.models.review import ReviewAudit, ReviewDecision
from pdacmine.models.screening import ScreeningAudit, ScreeningDecision, ScreeningResolution, ScreeningSession
from pdacmine.models.sources import DedupAudit, RecordSource

__all__ = [
    "Article",
    "ArticleExtraction",
    "Base",
    "DedupAudit",
    "Evidence",
    "Finding",
    "FindingYear",
    "FindingYearsState",
    "HarvestMiss",
    "ImportedFile",
    "RecordError",
    "RecordSource",
    "ReviewAudit",
    "ReviewDecision",
    "SavedQuery",
    "ScreeningAudit",
    "ScreeningDecision",
    "ScreeningResolution",
    "ScreeningSession",
    "SearchHit",
    "SearchRun",
]

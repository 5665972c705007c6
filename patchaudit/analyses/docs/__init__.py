"""Documentation conformance: kernel-doc parity, stale references in comments, comment claims as rules."""

from __future__ import annotations

from patchaudit.analyses.docs.blocks import CommentStyle, DocBlock, DocKind, doc_blocks
from patchaudit.analyses.docs.claims import (
    ClaimViolation,
    FieldClaim,
    ViolationKind,
    claim_violations,
)
from patchaudit.analyses.docs.governed import governed_files
from patchaudit.analyses.docs.kerneldoc import DocProblem, DocProblemKind, kernel_doc_problems
from patchaudit.analyses.docs.stale import (
    StaleReason,
    StaleReference,
    lost_references,
    stale_references,
)
from patchaudit.analyses.docs.vocabulary import Vocabulary, vocabulary

__all__ = [
    "ClaimViolation",
    "CommentStyle",
    "DocBlock",
    "DocKind",
    "DocProblem",
    "DocProblemKind",
    "FieldClaim",
    "StaleReason",
    "StaleReference",
    "ViolationKind",
    "Vocabulary",
    "claim_violations",
    "doc_blocks",
    "governed_files",
    "kernel_doc_problems",
    "lost_references",
    "stale_references",
    "vocabulary",
]

"""The workspace's pages, one module per group of views; :data:`ROUTES` lists them all."""

from __future__ import annotations

from starlette.routing import Route

from pdacmine.web.views import explore, records, review, screening

ROUTES = [
    Route("/", explore.evidence_map, name="map"),
    Route("/findings", explore.findings, name="findings"),
    Route("/findings/{ref:path}", explore.finding, name="finding"),
    Route("/review", review.review, name="review"),
    Route("/review/decide", review.decide_view, methods=["POST"], name="decide"),
    Route("/review/undo", review.undo_view, methods=["POST"], name="undo"),
    Route("/reviewer", review.reviewer_view, methods=["POST"], name="reviewer"),
    Route("/api/concepts", review.concepts, name="concepts"),
    Route("/api/map-charts", explore.map_charts, name="map-charts"),
    Route("/audit", review.audit, name="audit"),
    Route("/screen", screening.screen, name="screen"),
    Route("/screen/decide", screening.decide_view, methods=["POST"], name="screen-decide"),
    Route("/screen/undo", screening.undo_view, methods=["POST"], name="screen-undo"),
    Route("/screen/conflicts", screening.conflicts, name="screen-conflicts"),
    Route("/screen/resolve", screening.resolve_view, methods=["POST"], name="screen-resolve"),
    Route("/searches", records.searches, name="searches"),
    Route("/prisma.{fmt:str}", records.prisma_download, name="prisma"),
    Route("/exports", records.exports, name="exports"),
    Route("/export/{level:str}", records.export_download, name="export"),
]

"""行政执法证 (law-enforcement certificates): application, issue, lifecycle, cleanup, public checks."""

DESCRIPTION = "行政执法证申领、核发、年审、清理与公开查验"

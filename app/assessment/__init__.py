"""Assessment pages: live and frozen scores, drill-downs, charts, exports."""

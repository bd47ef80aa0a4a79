"""ClaimBoard dashboard (Dash + Plotly) and static export on the snapshot store."""

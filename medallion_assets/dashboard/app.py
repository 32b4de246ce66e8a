"""The dashboard's Streamlit entry point (`medallion dashboard` runs `streamlit run` on this file)."""

import streamlit as st

from medallion_assets.dashboard import pages

st.set_page_config(page_title="Medallion dashboard", layout="wide")
navigation = st.navigation(
    [
        st.Page(pages.market_page, title="Market", url_path="market", default=True),
        st.Page(pages.pulse_page, title="Market pulse", url_path="pulse"),
        st.Page(pages.changes_page, title="Price changes and time on market", url_path="price-changes"),
        st.Page(pages.anomalies_page, title="Anomalies", url_path="anomalies"),
        st.Page(pages.model_page, title="Price model", url_path="price-model"),
        st.Page(pages.health_page, title="Data health", url_path="data-health"),
    ]
)
navigation.run()

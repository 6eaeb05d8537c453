"""placeholder"""
import streamlit as st


def page():
    st.title("history")

"""The look: Fusion style, a light palette with one accent colour, and a small stylesheet."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

ACCENT = "#2563eb"
SUCCESS = "#15803d"
DANGER = "#b91c1c"
WARNING = "#b45309"
TEXT = "#111827"
MUTED = "#6b7280"
BORDER = "#e5e7eb"
WINDOW = "#f3f4f6"
VIEW_BACKGROUND = "#111827"
BOX = "#22c55e"

_STYLESHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolBar {{ background: white; border: none; border-bottom: 1px solid {BORDER}; padding: 6px 10px; spacing: 8px; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: transparent; color: {MUTED}; padding: 10px 18px; font-weight: 600;
               border-bottom: 3px solid transparent; }}
QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 3px solid {ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: {TEXT}; }}
QGroupBox {{ background: white; border: 1px solid {BORDER}; border-radius: 10px; margin-top: 14px;
            padding: 16px 12px 12px 12px; font-weight: 600; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; color: {TEXT}; }}
QPushButton {{ background: white; border: 1px solid #d1d5db; border-radius: 6px; padding: 6px 14px; color: {TEXT}; }}
QPushButton:hover {{ background: #f9fafb; border-color: #9ca3af; }}
QPushButton:pressed {{ background: #e5e7eb; }}
QPushButton:disabled {{ color: #9ca3af; background: #f9fafb; border-color: {BORDER}; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border: none; font-weight: 600; padding: 8px 18px; }}
QPushButton[primary="true"]:hover {{ background: #1d4ed8; }}
QPushButton[primary="true"]:disabled {{ background: #93c5fd; color: #eff6ff; }}
QPushButton[big="true"] {{ font-size: 16pt; padding: 12px 18px; }}
QProgressBar {{ border: none; border-radius: 4px; background: #e5e7eb; max-height: 8px; min-height: 8px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QProgressBar[verdict="yes"]::chunk {{ background: {SUCCESS}; }}
QProgressBar[verdict="no"]::chunk {{ background: {DANGER}; }}
QLabel[role="hint"] {{ color: {MUTED}; font-weight: normal; }}
QLabel[role="error"] {{ color: {DANGER}; font-weight: normal; }}
QLabel[role="ok"] {{ color: {SUCCESS}; font-weight: normal; }}
QLabel[role="heading"] {{ font-size: 15pt; font-weight: 700; color: {TEXT}; }}
QLabel#banner {{ border-radius: 10px; padding: 18px; font-size: 26pt; font-weight: 800; color: white;
                background: #9ca3af; }}
QLabel#banner[state="idle"] {{ background: #e5e7eb; color: {MUTED}; font-size: 13pt; font-weight: 600; }}
QLabel#banner[state="busy"] {{ background: #dbeafe; color: {ACCENT}; font-size: 15pt; }}
QLabel#banner[state="yes"] {{ background: {SUCCESS}; }}
QLabel#banner[state="no"] {{ background: {DANGER}; }}
QLabel#banner[state="error"] {{ background: #fef3c7; color: {WARNING}; font-size: 12pt; font-weight: 600; }}
QScrollArea, QWidget#side {{ background: transparent; }}
QPushButton:focus, QComboBox:focus, QLineEdit:focus, QSpinBox:focus, QCheckBox:focus, QSlider:focus {{
    outline: none; border: 2px solid {ACCENT}; }}
QCheckBox:focus {{ border-radius: 4px; padding: 2px; }}
QTabBar::tab:focus {{ text-decoration: underline; }}
QFrame#card {{ background: white; border: 1px solid {BORDER}; border-radius: 10px; }}
QFrame#overlay {{ background: rgba(17, 24, 39, 215); border: 1px solid #374151; border-radius: 12px; }}
QFrame#overlay QLabel {{ color: #f9fafb; }}
QListWidget, QTableWidget {{ background: white; border: 1px solid {BORDER}; border-radius: 8px; }}
QHeaderView::section {{ background: #f9fafb; border: none; border-bottom: 1px solid {BORDER}; padding: 8px;
                       font-weight: 600; color: {MUTED}; }}
QTableWidget::item {{ padding: 0 8px; }}
QTableWidget::item:selected {{ background: #dbeafe; color: {TEXT}; }}
QStatusBar {{ background: white; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QStatusBar QLabel {{ padding: 0 10px; color: {MUTED}; }}
"""


def apply(app: QApplication) -> None:
    """Give the application its style, palette, font and stylesheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.Window, WINDOW), (QPalette.Base, "white"), (QPalette.AlternateBase, "#f9fafb"),
        (QPalette.Text, TEXT), (QPalette.WindowText, TEXT), (QPalette.Button, "white"),
        (QPalette.ButtonText, TEXT), (QPalette.Highlight, ACCENT), (QPalette.HighlightedText, "white"),
        (QPalette.ToolTipBase, "white"), (QPalette.ToolTipText, TEXT), (QPalette.PlaceholderText, "#9ca3af"),
    ):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(_STYLESHEET)


def set_property(widget: QWidget, name: str, value: str) -> None:
    """Set a dynamic property the stylesheet reads, and re-apply the style so that the change shows."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)

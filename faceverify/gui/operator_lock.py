"""Operator mode: the controls that decide who gets verified (thresholds, enrolling, training, people, the log, the
camera) are hidden from the end user until the operator's password is typed. No password yet (first use): the
window is open, and the tool bar offers to set one."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QInputDialog, QLineEdit, QPushButton, QWidget

from faceverify.errors import FaceverifyError
from faceverify.gui import dialogs
from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.gui.widgets import label, show_message
from faceverify.home import operator


class OperatorLock(QObject):
    """Whether the operator controls are unlocked; ``changed`` fires when that changes."""

    changed = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = context.store
        self.unlocked = not operator.has_password(self.store)

    def has_password(self) -> bool:
        return operator.has_password(self.store)

    def unlock(self, password: str) -> bool:
        if operator.check_password(self.store, password):
            self._set(True)
        return self.unlocked

    def lock(self) -> None:
        """Hide the operator controls (only once a password can unlock them again)."""
        if self.has_password():
            self._set(False)

    def set_password(self, password: str) -> None:
        """Save the operator's password, new or changed (FaceverifyError if it is too short)."""
        operator.set_password(self.store, password)
        emit(self.changed)

    def clear_password(self) -> None:
        """Remove the password: the window is open to everyone, now and at the next start."""
        operator.clear_password(self.store)
        self.unlocked = True
        emit(self.changed)

    def _set(self, unlocked: bool) -> None:
        if unlocked != self.unlocked:
            self.unlocked = unlocked
            emit(self.changed)


class PasswordDialog(QDialog):
    """Choose the operator's password, typed twice, long enough; once one is set, change or remove it."""

    def __init__(self, lock: OperatorLock, parent: QWidget | None = None) -> None:
        changing = lock.has_password()
        super().__init__(parent, windowTitle="Change the operator password" if changing else "Operator password")
        self.lock = lock
        self.first = QLineEdit(echoMode=QLineEdit.Password)
        self.second = QLineEdit(echoMode=QLineEdit.Password)
        self.message = label(("Type the new password twice, or remove it to open the window to everyone. "
                              if changing else "Only the operator can then change thresholds, enroll, train and see "
                              "the log. ") + f"At least {operator.MIN_LENGTH} characters.", "hint")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.remove_button = buttons.addButton("Remove password", QDialogButtonBox.DestructiveRole)
        self.remove_button.setVisible(changing)
        self.remove_button.clicked.connect(self.remove)
        form = QFormLayout(self)
        form.addRow(self.message)
        form.addRow("Password", self.first)
        form.addRow("Again", self.second)
        form.addRow(buttons)

    def save(self) -> None:
        if self.first.text() != self.second.text():
            show_message(self.message, "The two passwords differ. Type the same one twice.", "error")
            return
        try:
            self.lock.set_password(self.first.text())
        except FaceverifyError as error:
            show_message(self.message, f"{error}.", "error")
            return
        self.accept()

    def remove(self) -> None:
        """Remove the password, once confirmed (Cancel is the default)."""
        if dialogs.confirm(self, "Remove the operator password", "Remove the operator password? The window then "
                           "starts open: anyone at it can change thresholds, enroll, train and see the log.",
                           "Remove password"):
            self.lock.clear_password()
            self.accept()


class PasswordButton(QPushButton):
    """The unlocked operator's way to change or remove the password (the window shows it only then)."""

    def __init__(self, lock: OperatorLock, parent: QWidget | None = None) -> None:
        super().__init__("Password…", parent, toolTip="Change or remove the operator password")
        self.lock = lock
        self.clicked.connect(self._on_click)

    def _on_click(self) -> None:
        PasswordDialog(self.lock, self.window()).exec()


class LockButton(QPushButton):
    """The tool bar's way in and out of operator mode: set a password, lock, or unlock."""

    def __init__(self, lock: OperatorLock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lock = lock
        self.clicked.connect(self._on_click)
        lock.changed.connect(self._show)
        self._show()

    def _show(self) -> None:
        if not self.lock.has_password():
            self.setText("Set operator password…")
            self.setToolTip("Protect thresholds, enrolling, training, people and the log with a password")
        elif self.lock.unlocked:
            self.setText("Lock (end user view)")
            self.setToolTip("Hide the operator controls: the end user sees the camera, the person and Verify only")
        else:
            self.setText("Operator…")
            self.setToolTip("Unlock the operator controls with the operator's password")

    def _on_click(self) -> None:
        if not self.lock.has_password():
            PasswordDialog(self.lock, self.window()).exec()
        elif self.lock.unlocked:
            self.lock.lock()
        else:
            self.ask_unlock()

    def ask_unlock(self) -> bool:
        """Ask for the password until it is right or the dialog is cancelled; whether it is unlocked."""
        prompt = "Operator password:"
        while not self.lock.unlocked:
            password, ok = QInputDialog.getText(self.window(), "Operator mode", prompt, QLineEdit.Password)
            if not ok:
                break
            if not self.lock.unlock(password):
                prompt = "That password is not right. Operator password:"
        return self.lock.unlocked

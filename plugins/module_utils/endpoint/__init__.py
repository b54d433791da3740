# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint management (REQUIREMENTS OPS-ENDPT §6-3(3)): the software catalogue and what each PC
should have (catalogue), what an MSI says of itself (msi), and the USB device control register (usb)."""

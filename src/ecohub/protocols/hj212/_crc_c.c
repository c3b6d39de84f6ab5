/* C accelerator for ecohub.protocols.hj212.crc: the HJ 212 CRC and CRC-16/MODBUS.
 *
 * HJ 212 (2017 6.3.1): crc = (crc >> 8) ^ b, then 8 shift/XOR-0xA001 steps. After the first
 * step the state fits in one byte, so the 8 steps are one lookup in a 256-entry table.
 * MODBUS: crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]. Same table (reflected 0x8005).
 * Accepts any object with the buffer protocol (bytes, bytearray, memoryview).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static uint16_t table[256];

static void build_table(void) {
    for (int i = 0; i < 256; i++) {
        uint16_t crc = (uint16_t)i;
        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
        }
        table[i] = crc;
    }
}

static PyObject *crc16(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    uint16_t crc = 0xFFFF;
    for (Py_ssize_t i = 0; i < n; i++) {
        crc = table[(crc >> 8) ^ p[i]];
    }
    PyBuffer_Release(&view);
    return PyLong_FromLong((long)crc);
}

static PyObject *crc16_modbus(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    uint16_t crc = 0xFFFF;
    for (Py_ssize_t i = 0; i < n; i++) {
        crc = (uint16_t)((crc >> 8) ^ table[(crc ^ p[i]) & 0xFF]);
    }
    PyBuffer_Release(&view);
    return PyLong_FromLong((long)crc);
}

static PyMethodDef methods[] = {
    {"crc16", crc16, METH_O, "HJ 212 CRC of a bytes-like object, as an int."},
    {"crc16_modbus", crc16_modbus, METH_O, "CRC-16/MODBUS of a bytes-like object, as an int."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_crc_c", "C accelerator of the HJ 212 CRC.", -1, methods,
};

PyMODINIT_FUNC PyInit__crc_c(void) {
    build_table();
    return PyModule_Create(&module);
}

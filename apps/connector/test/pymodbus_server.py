"""A Modbus TCP server from Debian's python3-pymodbus, for tests and benchmarks that want a
peer not written by us. Units 1..4, holding registers 0..3999 filled with float32 values
(big-endian, high word first): value = register_pair_index + unit / 10.
Usage: /usr/bin/python3 pymodbus_server.py PORT"""
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer


def registers(unit):
    words = []
    for k in range(2000):
        high, low = struct.unpack(">HH", struct.pack(">f", k + unit / 10))
        words += [high, low]
    return words


slaves = {
    unit: ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, registers(unit)), zero_mode=True)
    for unit in range(1, 5)
}
print("ready", flush=True)
StartTcpServer(context=ModbusServerContext(slaves=slaves, single=False), address=("127.0.0.1", int(sys.argv[1])))

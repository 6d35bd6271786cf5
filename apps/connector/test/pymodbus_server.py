"""A Modbus server from Debian's python3-pymodbus, for tests and benchmarks that want a
peer not written by us. Units 1..4, holding registers 0..3999 filled with float32 values
(big-endian, high word first): value = register_pair_index + unit / 10.
Usage: /usr/bin/python3 pymodbus_server.py tcp PORT
       /usr/bin/python3 pymodbus_server.py rtu SERIAL_DEVICE [BAUD]"""
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer


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
context = ModbusServerContext(slaves=slaves, single=False)
print("ready", flush=True)
if sys.argv[1] == "tcp":
    StartTcpServer(context=context, address=("127.0.0.1", int(sys.argv[2])))
else:
    baud = int(sys.argv[3]) if len(sys.argv) > 3 else 19200
    StartSerialServer(context=context, framer=ModbusRtuFramer, port=sys.argv[2], baudrate=baud, timeout=0.05)

/* interp: a register-based bytecode interpreter (16 x 64-bit registers,
 * 4096-word data memory, call stack) with a classic `switch` dispatch loop,
 * which clang compiles to a wasm br_table.
 * Stresses indirect branches via br_table, unpredictable control flow, i64
 * arithmetic and loads/stores to small arrays (registers/instructions).
 * The bytecode program (assembled at run time by the tiny assembler below)
 * computes Collatz chain lengths for 1..n, keeps a step histogram in VM
 * memory, folds each length into a hash through a VM-level CALL/RET, and
 * finally reduces the histogram.  Checksum: mix of VM registers r2, r8 and
 * the reduction. */
#include "kernel.h"

enum {
  OP_HALT,
  OP_LI,
  OP_MOV,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_AND,
  OP_OR,
  OP_XOR,
  OP_SHL,
  OP_SHR,
  OP_ADDI,
  OP_SHRI,
  OP_LD,
  OP_ST,
  OP_JMP,
  OP_JZ,
  OP_JNZ,
  OP_JLTU,
  OP_CALL,
  OP_RET,
  OP_NOP
};

typedef struct {
  uint8_t op, a, b, c;
  int32_t imm;
} insn_t;

#define MAX_CODE 256
#define MEM_WORDS 4096
#define STACK_DEPTH 64

static insn_t code[MAX_CODE];
static uint32_t ncode;
static uint64_t vmem[MEM_WORDS];

static uint32_t emit(uint8_t op, uint8_t a, uint8_t b, uint8_t c, int32_t imm) {
  code[ncode].op = op;
  code[ncode].a = a;
  code[ncode].b = b;
  code[ncode].c = c;
  code[ncode].imm = imm;
  return ncode++;
}
static void patch(uint32_t at, uint32_t target) { code[at].imm = (int32_t)target; }

NOINLINE static void vm_exec(const insn_t* prog, uint64_t* r) {
  uint32_t stack[STACK_DEPTH];
  uint32_t sp = 0, pc = 0;
  for (;;) {
    const insn_t in = prog[pc++];
    switch (in.op) {
      case OP_HALT:
        return;
      case OP_LI:
        r[in.a] = (uint64_t)(int64_t)in.imm;
        break;
      case OP_MOV:
        r[in.a] = r[in.b];
        break;
      case OP_ADD:
        r[in.a] = r[in.b] + r[in.c];
        break;
      case OP_SUB:
        r[in.a] = r[in.b] - r[in.c];
        break;
      case OP_MUL:
        r[in.a] = r[in.b] * r[in.c];
        break;
      case OP_AND:
        r[in.a] = r[in.b] & r[in.c];
        break;
      case OP_OR:
        r[in.a] = r[in.b] | r[in.c];
        break;
      case OP_XOR:
        r[in.a] = r[in.b] ^ r[in.c];
        break;
      case OP_SHL:
        r[in.a] = r[in.b] << (r[in.c] & 63);
        break;
      case OP_SHR:
        r[in.a] = r[in.b] >> (r[in.c] & 63);
        break;
      case OP_ADDI:
        r[in.a] = r[in.b] + (uint64_t)(int64_t)in.imm;
        break;
      case OP_SHRI:
        r[in.a] = r[in.b] >> (in.imm & 63);
        break;
      case OP_LD:
        r[in.a] = vmem[(r[in.b] + (uint64_t)(int64_t)in.imm) & (MEM_WORDS - 1)];
        break;
      case OP_ST:
        vmem[(r[in.b] + (uint64_t)(int64_t)in.imm) & (MEM_WORDS - 1)] = r[in.a];
        break;
      case OP_JMP:
        pc = (uint32_t)in.imm;
        break;
      case OP_JZ:
        if (r[in.a] == 0) pc = (uint32_t)in.imm;
        break;
      case OP_JNZ:
        if (r[in.a] != 0) pc = (uint32_t)in.imm;
        break;
      case OP_JLTU:
        if (r[in.a] < r[in.b]) pc = (uint32_t)in.imm;
        break;
      case OP_CALL:
        if (sp == STACK_DEPTH) return;
        stack[sp++] = pc;
        pc = (uint32_t)in.imm;
        break;
      case OP_RET:
        if (sp == 0) return;
        pc = stack[--sp];
        break;
      case OP_NOP:
        break;
      default:
        return;
    }
  }
}

/* Registers: r1 i, r2 total steps, r3 x, r4 steps, r5 tmp, r6 = 1,
 * r7 = limit, r8 hash, r9 = FNV prime, r10 j, r11 = MEM_WORDS, r12 acc. */
static void assemble(int32_t n) {
  ncode = 0;
  emit(OP_LI, 1, 0, 0, 1);
  emit(OP_LI, 2, 0, 0, 0);
  emit(OP_LI, 6, 0, 0, 1);
  emit(OP_LI, 7, 0, 0, n + 1);
  emit(OP_LI, 8, 0, 0, 0);
  emit(OP_LI, 9, 0, 0, 0x01000193);
  uint32_t outer = emit(OP_MOV, 3, 1, 0, 0);
  emit(OP_LI, 4, 0, 0, 0);
  uint32_t loop = emit(OP_SUB, 5, 3, 6, 0); /* while (x != 1) */
  uint32_t j_done = emit(OP_JZ, 5, 0, 0, 0);
  emit(OP_AND, 5, 3, 6, 0);
  uint32_t j_even = emit(OP_JZ, 5, 0, 0, 0);
  emit(OP_ADD, 5, 3, 3, 0); /* x = 3x + 1 */
  emit(OP_ADD, 3, 5, 3, 0);
  emit(OP_ADDI, 3, 3, 0, 1);
  uint32_t j_next = emit(OP_JMP, 0, 0, 0, 0);
  uint32_t even = emit(OP_SHRI, 3, 3, 0, 1); /* x >>= 1 */
  patch(j_even, even);
  uint32_t next = emit(OP_ADDI, 4, 4, 0, 1);
  patch(j_next, next);
  emit(OP_JMP, 0, 0, 0, (int32_t)loop);
  uint32_t done = emit(OP_ADD, 2, 2, 4, 0);
  patch(j_done, done);
  emit(OP_LD, 5, 4, 0, 0); /* hist[steps] += i */
  emit(OP_ADD, 5, 5, 1, 0);
  emit(OP_ST, 5, 4, 0, 0);
  uint32_t j_call = emit(OP_CALL, 0, 0, 0, 0);
  emit(OP_ADDI, 1, 1, 0, 1);
  emit(OP_JLTU, 1, 7, 0, (int32_t)outer);
  emit(OP_LI, 10, 0, 0, 0); /* reduce histogram */
  emit(OP_LI, 11, 0, 0, MEM_WORDS);
  emit(OP_LI, 12, 0, 0, 0);
  uint32_t red = emit(OP_LD, 5, 10, 0, 0);
  emit(OP_XOR, 12, 12, 5, 0);
  emit(OP_SHL, 5, 12, 6, 0);
  emit(OP_SHRI, 12, 12, 0, 63);
  emit(OP_OR, 12, 12, 5, 0); /* rotate left by 1 */
  emit(OP_ADDI, 10, 10, 0, 1);
  emit(OP_JLTU, 10, 11, 0, (int32_t)red);
  emit(OP_HALT, 0, 0, 0, 0);
  uint32_t fn = emit(OP_XOR, 8, 8, 4, 0); /* hash = (hash ^ steps) * prime */
  emit(OP_MUL, 8, 8, 9, 0);
  emit(OP_NOP, 0, 0, 0, 0);
  emit(OP_RET, 0, 0, 0, 0);
  patch(j_call, fn);
}

uint64_t run(int32_t n) {
  uint64_t regs[16];
  for (int i = 0; i < 16; i++) regs[i] = 0;
  for (int i = 0; i < MEM_WORDS; i++) vmem[i] = 0;
  assemble(n);
  vm_exec(code, regs);
  uint64_t sum = mix64(0, regs[2]);
  sum = mix64(sum, regs[8]);
  return mix64(sum, regs[12]);
}

import { defineSubject } from '../src/suite.js'

defineSubject('medical_genetics')
